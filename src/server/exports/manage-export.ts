/**
 * What a team member can do with an export once it exists: read it, list them, cancel,
 * delete, retry, get a fresh download link, and wait for it to end.
 */
import { recordExportOutcome } from "~/server/audit/export-audit";
import { AppError, failureOf, isAppError } from "~/server/errors";
import { sendCancelEventInBackground } from "~/server/exports/cancel-event";
import { defaultDestination } from "~/server/exports/destinations";
import { exportLimits } from "~/server/exports/export-limits";
import type { ExportQueue } from "~/server/exports/export-queue";
import { type ExportFile, type ExportJob, type ExportKind, isTerminal, liveFile } from "~/server/exports/job/export-job";
import type { JobPage } from "~/server/exports/job/job-store";
import { type ExportTarget, kindDefinition } from "~/server/exports/kinds";
import { closeAuditRow, settleUnfinishedExport } from "~/server/exports/settle-export";
import { type Requester, startExportOf } from "~/server/exports/start-export";
import { log } from "~/server/log";
import { getJobFeed, getJobStore } from "~/server/services";
import { type ExportChange, exportChangeRefusal, type TeamMember } from "~/server/teams/permissions";

export function getExport(teamId: string, exportId: string): Promise<ExportJob> {
  return getJobStore().getForTeam(teamId, exportId);
}

export function listExports(teamId: string, page: { limit: number; offset?: number }) {
  return getJobStore().list({ teamId }, page);
}

/** Ids read from the team's index per round while looking for one resource's exports. */
const RESOURCE_SCAN_PAGE = 100;

/**
 * The latest exports of one resource (for a group, of that group only), newest first, FAILED
 * ones left out, as Papermark's export modal lists them. Read from the team's own index, page
 * by page, until `limit` are found or the index ends; the index holds only the jobs of the
 * record's lifetime, so the walk is bounded by what the team started in that time.
 */
export async function listResourceExports(teamId: string, kind: ExportKind, target: ExportTarget, limit: number): Promise<ExportJob[]> {
  const found: ExportJob[] = [];
  let offset: number | null = 0;
  while (offset !== null && found.length < limit) {
    const page: JobPage = await getJobStore().list({ teamId }, { limit: RESOURCE_SCAN_PAGE, offset });
    for (const job of page.items) {
      const same = job.type === kind && job.resourceId === target.resourceId && job.groupId === target.groupId;
      if (same && job.status !== "FAILED" && found.length < limit) found.push(job);
    }
    offset = page.nextOffset;
  }
  return found;
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
  // The audit row first, as every path that ends an export has it (settle-export.ts), so that a
  // download waiting on the job finds the row closed the instant it sees CANCELLED.
  await recordExportOutcome(exportId, "CANCELLED");
  try {
    await getJobStore().transition(exportId, "CANCELLED", { error: "Cancelled" });
  } catch (error) {
    // Not marked, most often because the run ended first (CONFLICT): the row takes the job's
    // own end, if it has one by now, and the cancel is refused.
    const ended = await getJobStore().get(exportId);
    if (ended) await closeAuditRow(ended);
    throw error;
  }
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
  return startExportOf(
    queue,
    requester,
    kindDefinition(job.type),
    { resourceId: job.resourceId, groupId: job.groupId, version: job.resourceVersion },
    { format: job.format, compression: job.compression },
  );
}

/**
 * Why a job's file cannot be downloaded, as its record tells, or null when it can: CONFLICT
 * while the export runs, GONE once it ended without a file or the file is no longer live
 * (liveFile).
 */
function fileRefusal(job: ExportJob, now: number): AppError | null {
  if (!isTerminal(job.status)) {
    return new AppError("CONFLICT", `The export is not finished: it is ${job.status.toLowerCase()}`, { details: { status: job.status } });
  }
  if (job.status !== "COMPLETED" || !job.file) {
    const ended = job.status === "CANCELLED" ? "was cancelled" : `failed${job.error ? ` (${job.error})` : ""}`;
    return new AppError("GONE", `The export ${ended}, so it has no file; start it again`, { details: { status: job.status } });
  }
  if (!liveFile(job, now)) {
    return new AppError("GONE", "The file has expired and was deleted; start the export again", { details: { status: job.status } });
  }
  return null;
}

/** A job's file, or the reason there is none to download (fileRefusal). */
export function downloadableFile(job: ExportJob, now = Date.now()): ExportFile {
  const refusal = fileRefusal(job, now);
  if (refusal) throw refusal;
  return job.file!;
}

/** Records that storage no longer holds the file, so that later reads need not ask it again. */
async function fileVanished(job: ExportJob): Promise<AppError> {
  await getJobStore().markFileDeleted(job.id);
  log("warn", "export.file_missing", { exportId: job.id });
  return new AppError("GONE", "The file is no longer in storage; start the export again", { details: { status: job.status } });
}

/**
 * Whether the job's file can be downloaded now: its record first (status, lifetime, a recorded
 * deletion), then, only when that says yes, one HEAD to storage, since a lifecycle rule or an
 * operator may have removed the file without the record knowing. A file found missing is
 * recorded as deleted, so it costs that HEAD once. While storage cannot be reached the answer
 * is no, and the job's status still answers: a client polling for it waits until storage is back.
 */
export async function isDownloadable(job: ExportJob): Promise<boolean> {
  if (fileRefusal(job, Date.now())) return false;
  let present: boolean;
  try {
    present = await defaultDestination.exists(job.file!.key);
  } catch (error) {
    log("warn", "export.file_check_failed", { exportId: job.id, error: failureOf(error).message });
    return false;
  }
  if (!present) await fileVanished(job);
  return present;
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
  const { url, expiresAt } = await defaultDestination.link(file, expiresInSeconds).catch(async (error: unknown) => {
    throw isAppError(error) && error.code === "NOT_FOUND" ? await fileVanished(job) : error;
  });
  // The presign reads the clock a moment later than the line above; the file's end still bounds it.
  return { url, expiresAt: new Date(Math.min(expiresAt.getTime(), fileExpiresAt)).toISOString(), expiresInSeconds, file };
}

/** Deletes a finished export's file once its lifetime has passed; the record stays for its TTL, saying so. */
export async function deleteExpiredFile(exportId: string, key: string): Promise<void> {
  await defaultDestination.expire(key);
  await getJobStore().markFileDeleted(exportId);
  log("info", "export.file_deleted", { exportId });
}

/**
 * The job once it has ended, or as it is when `timeoutMs` has passed or `signal` aborted. It
 * follows the job feed, so the answer leaves as the job's end is written rather than at the
 * next poll, and finds the export's audit row closed (an end is recorded before it is written:
 * completeExport, cancelExport, settleUnfinishedExport); a job that vanishes is NOT_FOUND, as
 * the feed has it.
 */
export async function waitForExport(teamId: string, exportId: string, options: { timeoutMs: number; signal?: AbortSignal }) {
  const timeout = AbortSignal.timeout(options.timeoutMs);
  const stop = options.signal ? AbortSignal.any([options.signal, timeout]) : timeout;
  for await (const job of getJobFeed().watchJob(teamId, exportId, stop)) if (isTerminal(job.status)) return job;
  // Read again rather than keep the last change seen: a job past its deadline is failed on a read.
  return getExport(teamId, exportId);
}
