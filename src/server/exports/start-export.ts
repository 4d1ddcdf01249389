/**
 * Starting an export of any kind, the same way for the UI, the typed client and REST: find the
 * team's resource (the kind's own lookup), create the job (PENDING), record it in the audit
 * log, and queue the one run that produces it.
 *
 * A `requestId` from the client makes the start idempotent: the export id is derived from
 * it, so a double click or a retried request finds the job that already exists, and the
 * engine's idempotency key (the export id) keeps it to one run.
 */
import { createHash, randomUUID } from "node:crypto";

import type { z } from "zod";

import { recordExportOutcome, recordExportStarted } from "~/server/audit/export-audit";
import { AppError } from "~/server/errors";
import type { ExportQueue } from "~/server/exports/export-queue";
import { type FileOptions, fileOptionsOf } from "~/server/exports/formats/file-options";
import type { ExportChannel, ExportJob } from "~/server/exports/job/export-job";
import type { ExportKindDefinition, ExportTarget } from "~/server/exports/kinds";
import { log } from "~/server/log";
import { getJobStore, getRateLimits } from "~/server/services";

export type Requester = { userId: string; teamId: string; channel: ExportChannel; requestId?: string };

function exportIdFor(requester: Requester): string {
  if (!requester.requestId) return randomUUID();
  const digest = createHash("sha256").update(`${requester.teamId}:${requester.userId}:${requester.requestId}`).digest("hex");
  return `${digest.slice(0, 8)}-${digest.slice(8, 12)}-${digest.slice(12, 16)}-${digest.slice(16, 20)}-${digest.slice(20, 32)}`;
}

/** Starts an export of `kind` from its input, as tRPC and REST receive it, written as `file` says. */
export function startExport<Kind extends ExportKindDefinition>(
  queue: ExportQueue,
  requester: Requester,
  kind: Kind,
  input: z.infer<Kind["input"]>,
  file: FileOptions,
): Promise<ExportJob> {
  return startExportOf(queue, requester, kind, kind.target(input), file);
}

/** Starts an export of `kind` for a target, as a job records it (a retry starts the same one again). */
export async function startExportOf(queue: ExportQueue, requester: Requester, kind: ExportKindDefinition, target: ExportTarget, file: FileOptions): Promise<ExportJob> {
  const resource = await kind.findResource(requester.teamId, target);
  const job = { type: kind.id, resourceId: target.resourceId, groupId: target.groupId, resourceName: resource.name, ...fileOptionsOf(file) };
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
    format: job.format,
    compression: job.compression,
  });
  try {
    await queue.startRun({ request: { exportId: id, teamId: requester.teamId, userId: requester.userId }, kind, target, file: fileOptionsOf(file) });
  } catch (error) {
    // Without its event the job would sit in PENDING forever, and its audit row stay STARTED.
    const reason = "The export could not be queued; please try again";
    await getJobStore().transition(id, "FAILED", { error: reason, errorCode: "UPSTREAM_UNAVAILABLE" });
    await recordExportOutcome(id, "FAILED", { error: reason });
    log("error", "export.queue_failed", { exportId: id, error: String(error) });
    throw new AppError("UPSTREAM_UNAVAILABLE", reason, { cause: error });
  }
  log("info", "export.requested", { exportId: id, type: job.type, format: job.format, compression: job.compression, resourceId: job.resourceId, teamId: requester.teamId, channel: requester.channel });
  return created;
}
