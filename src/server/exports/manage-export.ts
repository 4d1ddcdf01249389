/**
 * What a team member can do with an export once it exists: read it, list them, cancel,
 * delete, retry, get a fresh download link, and wait for it to end.
 */
import { recordExportOutcome } from "~/server/audit/export-audit";
import { AppError } from "~/server/errors";
import { sendCancelEventInBackground } from "~/server/exports/cancel-event";
import { exportLimits } from "~/server/exports/export-limits";
import { settleUnfinishedExport } from "~/server/exports/settle-export";
import { type Requester, startMetricExport, startVisitExport } from "~/server/exports/start-export";
import { type ExportJob, isTerminal } from "~/server/jobs/export-job";
import { log } from "~/server/log";
import { getJobStore, getStorage } from "~/server/services";

export function getExport(teamId: string, exportId: string): Promise<ExportJob> {
  return getJobStore().getForTeam(teamId, exportId);
}

export function listExports(teamId: string, page: { limit: number; offset?: number }) {
  return getJobStore().list({ teamId }, page);
}

export async function cancelExport(teamId: string, exportId: string): Promise<ExportJob> {
  const job = await getExport(teamId, exportId);
  if (isTerminal(job.status)) {
    throw new AppError("CONFLICT", `The export is already ${job.status.toLowerCase()}`, { details: { status: job.status } });
  }
  await getJobStore().transition(exportId, "CANCELLED", { error: "Cancelled" });
  await recordExportOutcome(exportId, "CANCELLED");
  // Whatever was written so far goes now, not when the run gets round to it.
  await settleUnfinishedExport(exportId, "CANCELLED", { message: "Cancelled" });
  // The run stops on the CANCELLED status by itself; the event, sent in the background while
  // the engine may be unreachable, stops it sooner.
  sendCancelEventInBackground(exportId);
  log("info", "export.cancelled", { exportId, teamId });
  return getExport(teamId, exportId);
}

/** Deletes the job and its file; a running job is cancelled first. */
export async function deleteExport(teamId: string, exportId: string): Promise<void> {
  const job = await getExport(teamId, exportId);
  if (!isTerminal(job.status)) await cancelExport(teamId, exportId);
  const key = job.file?.key ?? (await getJobStore().fileKey(exportId));
  if (key) await getStorage().deleteObject(key);
  await getJobStore().delete(job);
  log("info", "export.deleted", { exportId, teamId });
}

/** Starts the same export again, for a failed or cancelled one. */
export async function retryExport(requester: Requester, exportId: string): Promise<ExportJob> {
  const job = await getExport(requester.teamId, exportId);
  if (job.status !== "FAILED" && job.status !== "CANCELLED") {
    throw new AppError("CONFLICT", `Only a failed or cancelled export can be retried; this one is ${job.status.toLowerCase()}`);
  }
  if (job.type === "metric") return startMetricExport(requester, job.resourceId);
  if (job.type === "document") return startVisitExport(requester, { kind: "document", documentId: job.resourceId });
  if (job.type === "dataroom") return startVisitExport(requester, { kind: "dataroom", dataroomId: job.resourceId });
  return startVisitExport(requester, { kind: "dataroom-group", dataroomId: job.resourceId, groupId: job.groupId ?? "" });
}

/** A job's file, or a CONFLICT that says why there is none to download. */
export function downloadableFile(job: ExportJob) {
  if (job.status !== "COMPLETED" || !job.file) {
    throw new AppError("CONFLICT", `The export is not finished: it is ${job.status.toLowerCase()}`, { details: { status: job.status } });
  }
  if (job.file.deletedAt || new Date(job.file.expiresAt) <= new Date()) {
    throw new AppError("NOT_FOUND", "The file has expired and was deleted; start the export again");
  }
  return job.file;
}

/** A link minted now, valid for EXPORT_LINK_TTL_SECONDS (60 s by default). */
export async function createDownloadLink(teamId: string, exportId: string) {
  const file = downloadableFile(await getExport(teamId, exportId));
  const { url, expiresAt } = await getStorage().presignDownload(file.key, {
    expiresInSeconds: exportLimits().linkTtlSeconds,
    fileName: file.name,
  });
  return { url, expiresAt: expiresAt.toISOString(), file };
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
