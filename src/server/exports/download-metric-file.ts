/**
 * The original API's one-call export: start a metric export, wait for it (EXPORT_REST_WAIT_MS
 * at most), and answer with a fresh link (EXPORT_LINK_TTL_SECONDS, or less if the file is deleted sooner). Unlike
 * the original, a slow export is not lost: the timeout answer carries the export id to fetch
 * the file with later.
 */
import type { Caller } from "~/server/auth/caller";
import { db } from "~/server/db";
import { AppError, type ErrorCode, errorCodes } from "~/server/errors";
import { exportLimits } from "~/server/exports/export-limits";
import type { ExportQueue } from "~/server/exports/export-queue";
import type { FileOptions } from "~/server/exports/formats/file-options";
import { metricKind } from "~/server/exports/kinds/metric";
import { createDownloadLink, waitForExport } from "~/server/exports/manage-export";
import { startExport } from "~/server/exports/start-export";
import { requireTeamAccess } from "~/server/teams/membership";

export async function downloadMetricFile(queue: ExportQueue, caller: Caller, metricId: string, file: FileOptions, signal?: AbortSignal) {
  const metric = await db.metric.findUnique({ where: { id: metricId }, select: { teamId: true } });
  if (!metric) throw new AppError("NOT_FOUND", "No such metric");
  await requireTeamAccess(caller, metric.teamId);

  const started = await startExport(queue, { userId: caller.userId, teamId: metric.teamId, channel: "REST" }, metricKind, { metricId }, file);
  const { restWaitMs } = exportLimits();
  const job = await waitForExport(metric.teamId, started.id, { timeoutMs: restWaitMs, signal });

  if (job.status === "PENDING" || job.status === "PROCESSING") {
    throw new AppError("TIMEOUT", `The export is still running after ${Math.round(restWaitMs / 1000)} seconds. Fetch it later with its export id.`, {
      details: { exportId: job.id, status: job.status, statusUrl: `/api/teams/${metric.teamId}/export-jobs/${job.id}` },
    });
  }
  if (job.status === "FAILED") {
    const code = (job.errorCode && job.errorCode in errorCodes ? job.errorCode : "INTERNAL") as ErrorCode;
    throw new AppError(code, job.error ?? "The export failed", { details: { exportId: job.id } });
  }
  if (job.status === "CANCELLED") throw new AppError("CONFLICT", "The export was cancelled", { details: { exportId: job.id } });

  const link = await createDownloadLink(metric.teamId, job.id);
  return {
    downloadUrl: link.url,
    expiresAt: link.expiresAt,
    fileSize: link.file.size,
    fileName: link.file.name,
    rowCount: link.file.rowCount,
    truncated: link.file.truncated,
    exportId: job.id,
    message: `Download link expires in ${link.expiresInSeconds} ${link.expiresInSeconds === 1 ? "second" : "seconds"}. Please start your download immediately.`,
  };
}
