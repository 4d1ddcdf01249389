/**
 * What a team member can do with an export once it exists: read it, list them, cancel,
 * delete, retry, get a fresh download link, and wait for it to end.
 */
import { recordExportOutcome } from "~/server/audit/export-audit";
import { AppError } from "~/server/errors";
import { sendCancelEventInBackground } from "~/server/exports/cancel-event";
import { defaultDestination } from "~/server/exports/destinations";
import { exportLimits } from "~/server/exports/export-limits";
import type { ExportQueue } from "~/server/exports/export-queue";
import { type ExportJob, isTerminal } from "~/server/exports/job/export-job";
import { kindDefinition } from "~/server/exports/kinds";
import { settleUnfinishedExport } from "~/server/exports/settle-export";
import { type Requester, startExportOf } from "~/server/exports/start-export";
import { log } from "~/server/log";
import { getJobStore } from "~/server/services";
import { type ExportChange, exportChangeRefusal, type TeamMember } from "~/server/teams/permissions";

export function getExport(teamId: string, exportId: string): Promise<ExportJob> {
  return getJobStore().getForTeam(teamId, exportId);
}

export function listExports(teamId: string, page: { limit: number; offset?: number }) {
  return getJobStore().list({ teamId }, page);
}

/** The job, if `actor` may make this change to it; FORBIDDEN, with the reason, if not. */
async function exportToChange(actor: TeamMember, change: ExportChange, exportId: string): Promise<ExportJob> {
  const job = await getExport(actor.teamId, exportId);
  const refusal = exportChangeRefusal(actor, job, change);
  if (refusal) throw new AppError("FORBIDDEN", refusal);
  return job;
}

export async function cancelExport(queue: ExportQueue, actor: TeamMember, exportId: string): Promise<ExportJob> {
  const { teamId } = actor;
  const job = await exportToChange(actor, "cancel", exportId);
  if (isTerminal(job.status)) {
    throw new AppError("CONFLICT", `The export is already ${job.status.toLowerCase()}`, { details: { status: job.status } });
  }
  await getJobStore().transition(exportId, "CANCELLED", { error: "Cancelled" });
  await recordExportOutcome(exportId, "CANCELLED");
  // Whatever was written so far goes now, not when the run gets round to it.
  await settleUnfinishedExport(exportId, "CANCELLED", { message: "Cancelled" });
  // The run stops on the CANCELLED status by itself; the event, sent in the background while
  // the engine may be unreachable, stops it sooner.
  sendCancelEventInBackground(queue, exportId);
  log("info", "export.cancelled", { exportId, teamId });
  return getExport(teamId, exportId);
}

/** Deletes the job and its file; a running job is cancelled first. */
export async function deleteExport(queue: ExportQueue, actor: TeamMember, exportId: string): Promise<void> {
  const { teamId } = actor;
  const job = await exportToChange(actor, "delete", exportId);
  if (!isTerminal(job.status)) await cancelExport(queue, actor, exportId);
  const key = job.file?.key ?? (await getJobStore().fileKey(exportId));
  if (key) await defaultDestination.discard(key);
  await getJobStore().delete(job);
  log("info", "export.deleted", { exportId, teamId });
}

/** Starts the same export again, for a failed or cancelled one. */
export async function retryExport(queue: ExportQueue, requester: Requester & TeamMember, exportId: string): Promise<ExportJob> {
  const job = await exportToChange(requester, "retry", exportId);
  if (job.status !== "FAILED" && job.status !== "CANCELLED") {
    throw new AppError("CONFLICT", `Only a failed or cancelled export can be retried; this one is ${job.status.toLowerCase()}`);
  }
  return startExportOf(queue, requester, kindDefinition(job.type), { resourceId: job.resourceId, groupId: job.groupId }, { format: job.format, compression: job.compression });
}

/**
 * A job's file, or a CONFLICT that says why there is none to download. A file with less than
 * a second left counts as gone: a link's life is whole seconds, and none would outlive it.
 */
export function downloadableFile(job: ExportJob, now = Date.now()) {
  if (job.status !== "COMPLETED" || !job.file) {
    throw new AppError("CONFLICT", `The export is not finished: it is ${job.status.toLowerCase()}`, { details: { status: job.status } });
  }
  if (job.file.deletedAt || Date.parse(job.file.expiresAt) - now < 1000) {
    throw new AppError("NOT_FOUND", "The file has expired and was deleted; start the export again");
  }
  return job.file;
}

/**
 * A link minted now. It lives EXPORT_LINK_TTL_SECONDS (60 s by default), or less when the file
 * is deleted sooner, so that neither the link nor the `expiresAt` it is answered with ever
 * outlives the file: a link minted 50 s into a metric file's 60 s says so, and dies with it.
 */
export async function createDownloadLink(teamId: string, exportId: string) {
  const job = await getExport(teamId, exportId);
  const now = Date.now();
  const file = downloadableFile(job, now);
  const fileExpiresAt = Date.parse(file.expiresAt);
  const expiresInSeconds = Math.min(exportLimits().linkTtlSeconds, Math.floor((fileExpiresAt - now) / 1000));
  const { url, expiresAt } = await defaultDestination.link(file, expiresInSeconds);
  // The presign reads the clock a moment later than the line above; the file's end still bounds it.
  return { url, expiresAt: new Date(Math.min(expiresAt.getTime(), fileExpiresAt)).toISOString(), expiresInSeconds, file };
}

/** Deletes a finished export's file once its lifetime has passed; the record stays for its TTL, saying so. */
export async function deleteExpiredFile(exportId: string, key: string): Promise<void> {
  await defaultDestination.expire(key);
  await getJobStore().markFileDeleted(exportId);
  log("info", "export.file_deleted", { exportId });
}

/** Polls the job until it ends, or until `timeoutMs`; returns the job as last seen. */
export async function waitForExport(teamId: string, exportId: string, options: { timeoutMs: number; pollMs?: number; signal?: AbortSignal }) {
  const deadline = Date.now() + options.timeoutMs;
  for (;;) {
    const job = await getExport(teamId, exportId);
    if (isTerminal(job.status) || Date.now() >= deadline || options.signal?.aborted) return job;
    await new Promise((resolve) => setTimeout(resolve, Math.min(options.pollMs ?? 250, Math.max(0, deadline - Date.now()))));
  }
}
