/**
 * Starting an export, the same way for the UI, the typed client and REST: create the job
 * (PENDING), record it in the audit log, and send the one event that starts the run.
 *
 * A `requestId` from the client makes the start idempotent: the export id is derived from
 * it, so a double click or a retried request finds the job that already exists, and
 * Inngest's idempotency key (the export id) keeps it to one run.
 */
import { createHash, randomUUID } from "node:crypto";

import { recordExportOutcome, recordExportStarted } from "~/server/audit/export-audit";
import { db } from "~/server/db";
import { AppError } from "~/server/errors";
import { findExportableMetric } from "~/server/exports/metric/metric-file";
import { metricExportRequested, visitExportRequested } from "~/server/jobs/events";
import type { ExportChannel, ExportJob } from "~/server/exports/job/export-job";
import { inngest } from "~/server/jobs/inngest-client";
import { log } from "~/server/log";
import { getJobStore, getRateLimits } from "~/server/services";

export type Requester = { userId: string; teamId: string; channel: ExportChannel; requestId?: string };

function exportIdFor(requester: Requester): string {
  if (!requester.requestId) return randomUUID();
  const digest = createHash("sha256").update(`${requester.teamId}:${requester.userId}:${requester.requestId}`).digest("hex");
  return `${digest.slice(0, 8)}-${digest.slice(8, 12)}-${digest.slice(12, 16)}-${digest.slice(16, 20)}-${digest.slice(20, 32)}`;
}

async function startJob(
  requester: Requester,
  job: Pick<ExportJob, "type" | "resourceId" | "resourceName" | "groupId">,
  send: (exportId: string) => Promise<unknown>,
): Promise<ExportJob> {
  const id = exportIdFor(requester);
  // A repeated request (same requestId) finds its job and costs nothing.
  const existing = requester.requestId ? await getJobStore().get(id) : null;
  if (existing) return existing;
  await getRateLimits().exportStarted(requester.userId, requester.teamId);
  const { job: created, created: isNew } = await getJobStore().create({
    id,
    ...job,
    userId: requester.userId,
    teamId: requester.teamId,
    channel: requester.channel,
  });
  if (!isNew) return created;
  await recordExportStarted({
    exportId: id,
    teamId: requester.teamId,
    userId: requester.userId,
    kind: job.type,
    resourceId: job.resourceId,
    resourceName: job.resourceName,
    channel: requester.channel,
  });
  try {
    await send(id);
  } catch (error) {
    // Without its event the job would sit in PENDING forever, and its audit row stay STARTED.
    const reason = "The export could not be queued; please try again";
    await getJobStore().transition(id, "FAILED", { error: reason, errorCode: "UPSTREAM_UNAVAILABLE" });
    await recordExportOutcome(id, "FAILED", { error: reason });
    log("error", "export.queue_failed", { exportId: id, error: String(error) });
    throw new AppError("UPSTREAM_UNAVAILABLE", reason, { cause: error });
  }
  log("info", "export.requested", { exportId: id, type: job.type, resourceId: job.resourceId, teamId: requester.teamId, channel: requester.channel });
  return created;
}

export async function startMetricExport(requester: Requester, metricId: string): Promise<ExportJob> {
  const metric = await findExportableMetric(requester.teamId, metricId);
  return startJob(requester, { type: "metric", resourceId: metric.id, resourceName: metric.name }, (exportId) =>
    inngest.send(
      metricExportRequested.create(
        { exportId, teamId: requester.teamId, userId: requester.userId, metricId: metric.id },
        { id: `export-${exportId}` },
      ),
    ),
  );
}

export type VisitTarget =
  | { kind: "document"; documentId: string }
  | { kind: "dataroom"; dataroomId: string }
  | { kind: "dataroom-group"; dataroomId: string; groupId: string };

/** The resource of a visit export, or NOT_FOUND when it is not this team's. */
async function findVisitResource(teamId: string, target: VisitTarget) {
  if (target.kind === "document") {
    const doc = await db.document.findFirst({ where: { id: target.documentId, teamId }, select: { id: true, name: true } });
    if (!doc) throw new AppError("NOT_FOUND", "No such document");
    return { resourceId: doc.id, resourceName: doc.name };
  }
  const room = await db.dataroom.findFirst({ where: { id: target.dataroomId, teamId }, select: { id: true, name: true } });
  if (!room) throw new AppError("NOT_FOUND", "No such dataroom");
  if (target.kind === "dataroom") return { resourceId: room.id, resourceName: room.name };
  const group = await db.dataroomGroup.findFirst({ where: { id: target.groupId, dataroomId: room.id }, select: { id: true, name: true } });
  if (!group) throw new AppError("NOT_FOUND", "No such group in this dataroom");
  return { resourceId: room.id, resourceName: `${room.name} — ${group.name}`, groupId: group.id };
}

export async function startVisitExport(requester: Requester, target: VisitTarget): Promise<ExportJob> {
  const resource = await findVisitResource(requester.teamId, target);
  return startJob(requester, { type: target.kind, ...resource }, (exportId) =>
    inngest.send(
      visitExportRequested.create(
        {
          exportId,
          teamId: requester.teamId,
          userId: requester.userId,
          kind: target.kind,
          resourceId: resource.resourceId,
          groupId: resource.groupId,
        },
        { id: `export-${exportId}` },
      ),
    ),
  );
}
