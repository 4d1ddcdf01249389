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
import { type ExportChannel, type ExportJob, isTerminal, liveFile } from "~/server/exports/job/export-job";
import { START_WITHIN_MS } from "~/server/exports/job/job-store";
import { RepeatJoins } from "~/server/exports/job/repeat-joins";
import type { ExportKindDefinition, ExportTarget } from "~/server/exports/kinds";
import { log } from "~/server/log";
import { getJobStore, getRateLimits, getRepeatJoins } from "~/server/services";

export type Requester = { userId: string; teamId: string; channel: ExportChannel; requestId?: string; fileTtlSeconds?: number };

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

/** How long a repeat-join entry may matter: the export's wait to start, its run, then its file's life. */
function joinTtlSeconds(kind: ExportKindDefinition): number {
  return Math.ceil(START_WITHIN_MS / 1000) + kind.run.limits.finishWithinMinutes * 60 + kind.run.limits.fileTtlSeconds();
}

/** A repeat joins an export that is still running, or that completed with its file still there. */
const isJoinable = (job: ExportJob) => !isTerminal(job.status) || liveFile(job) !== null;

/**
 * What else happens to a new job before its run is queued, so that the run cannot end before it:
 * e.g. asking for its outcome by email (outcome-email/). A failure fails the job as the queue's does.
 */
export type BeforeRun = (job: ExportJob) => Promise<void>;

/**
 * Starts an export of `kind` for a target, as a job records it (a retry starts the same one
 * again). For a kind that `joinsRepeats`, the same start request again (same user, target,
 * version and file options, whatever the channel) answers with the export it repeats while that
 * runs or its file lives. A start with a requestId is the one export its key names instead:
 * the client (our UI, a typed client) keeps its own idempotency, and two keys are two
 * exports. A joined start creates nothing, so it is not counted against the rate limit: only
 * starts that create an export are.
 */
export async function startExportOf(
  queue: ExportQueue,
  requester: Requester,
  kind: ExportKindDefinition,
  target: ExportTarget,
  file: FileOptions,
  beforeRun?: BeforeRun,
): Promise<ExportJob> {
  const resource = await kind.findResource(requester.teamId, target);
  // The version as resolved (the latest, when the target names none) is what the export runs.
  const resolved: ExportTarget = resource.version === undefined ? target : { ...target, version: resource.version };
  const job = { type: kind.id, resourceId: resolved.resourceId, groupId: resolved.groupId, resourceVersion: resolved.version, resourceName: resource.name, ...fileOptionsOf(file) };
  const id = exportIdFor(requester);
  // A repeated request (same requestId) finds its job and costs nothing.
  const existing = requester.requestId ? await getJobStore().get(id) : null;
  if (existing) return existing;
  const joinKey = kind.joinsRepeats && !requester.requestId
    ? RepeatJoins.keyOf({ teamId: requester.teamId, userId: requester.userId, kind: kind.id, target: { ...resolved }, options: fileOptionsOf(file) })
    : undefined;
  if (joinKey) {
    const outcome = await getRepeatJoins().claimOrJoin(joinKey, id, joinTtlSeconds(kind), (jobId) => getJobStore().get(jobId), isJoinable);
    if ("joined" in outcome) {
      log("info", "export.joined", { exportId: outcome.joined.id, status: outcome.joined.status, teamId: requester.teamId, channel: requester.channel });
      return outcome.joined;
    }
  }
  let created: ExportJob;
  try {
    await getRateLimits().exportStarted(requester.userId, requester.teamId);
    const result = await getJobStore().create({ id, ...job, userId: requester.userId, teamId: requester.teamId, channel: requester.channel, joinKey });
    if (!result.created) return result.job;
    created = result.job;
  } catch (error) {
    // Refused (the rate limit) or not recorded: no export holds the entry, so the next repeat starts one.
    if (joinKey) await getRepeatJoins().release(joinKey, id);
    throw error;
  }
  await recordExportStarted({
    exportId: id,
    teamId: requester.teamId,
    userId: requester.userId,
    kind: job.type,
    resourceId: job.resourceId,
    resourceName: job.resourceName,
    resourceVersion: job.resourceVersion,
    channel: requester.channel,
    format: job.format,
    compression: job.compression,
  });
  try {
    await beforeRun?.(created);
    const request = { exportId: id, teamId: requester.teamId, userId: requester.userId, fileTtlSeconds: requester.fileTtlSeconds };
    await queue.startRun({ request, kind, target: resolved, file: fileOptionsOf(file) });
  } catch (error) {
    // Without its event the job would sit in PENDING forever, and its audit row stay STARTED.
    const reason = "The export could not be queued; please try again";
    await getJobStore().transition(id, "FAILED", { error: reason, errorCode: "UPSTREAM_UNAVAILABLE" });
    await recordExportOutcome(id, "FAILED", { error: reason });
    if (joinKey) await getRepeatJoins().release(joinKey, id);
    log("error", "export.queue_failed", { exportId: id, error: String(error) });
    throw new AppError("UPSTREAM_UNAVAILABLE", reason, { cause: error });
  }
  log("info", "export.requested", {
    exportId: id,
    type: job.type,
    format: job.format,
    compression: job.compression,
    resourceId: job.resourceId,
    resourceVersion: job.resourceVersion,
    teamId: requester.teamId,
    channel: requester.channel,
  });
  return created;
}
