/**
 * The original API's one-call export: start a metric export (of a chosen version, or the
 * latest), wait for it (EXPORT_REST_WAIT_MS at most), and answer with a fresh link
 * (EXPORT_LINK_TTL_SECONDS, or less if the file is deleted sooner). A repeated download joins
 * the export it repeats (start-export.ts), so it waits on that run or gets a fresh link to its
 * file. Unlike the original, a slow export is not lost: the timeout answer carries the export
 * id to fetch the file with later.
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

/**
 * What Buster's menu asks for: the metric, its version, and the report it sits in (there are
 * no reports here, so naming one is a NOT_FOUND that says so).
 */
export type MetricDownloadRequest = { metricId: string; metricVersionNumber?: number; reportFileId?: string };

export async function downloadMetricFile(queue: ExportQueue, caller: Caller, request: MetricDownloadRequest, file: FileOptions, signal?: AbortSignal) {
  const { metricId, metricVersionNumber } = request;
  const metric = await db.metric.findUnique({ where: { id: metricId }, select: { teamId: true } });
  if (!metric) throw new AppError("NOT_FOUND", "No such metric");
  await requireTeamAccess(caller, metric.teamId);
  if (request.reportFileId !== undefined) {
    throw new AppError("NOT_FOUND", "There are no reports in Export Center, so report_file_id names none; download the metric without it");
  }

  const started = await startExport(queue, { userId: caller.userId, teamId: metric.teamId, channel: "REST" }, metricKind, { metricId, metricVersionNumber }, file);
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
    metricVersionNumber: job.resourceVersion,
    message: `Download link expires in ${link.expiresInSeconds} ${link.expiresInSeconds === 1 ? "second" : "seconds"}. Please start your download immediately.`,
  };
}
