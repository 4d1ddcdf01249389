/**
 * An export job as the REST API answers it: the record, and what Papermark's export modal reads
 * besides, `isReady` and `result`.
 */
import { z } from "zod";

import { exportDownloadPath } from "~/server/exports/export-paths";
import { type ExportJob, exportJobSchema } from "~/server/exports/job/export-job";
import { isDownloadable } from "~/server/exports/manage-export";

export const exportJobAnswerSchema = exportJobSchema.extend({
  isReady: z.boolean().describe("True exactly when the export is COMPLETED and its file is still in storage."),
  result: z.string().optional().describe("When `isReady`: the path that serves the file (`…/export-jobs/{exportId}?download=true`), which mints a fresh link on every visit."),
});

export type ExportJobAnswer = z.infer<typeof exportJobAnswerSchema>;

export async function exportJobAnswer(job: ExportJob): Promise<ExportJobAnswer> {
  const isReady = await isDownloadable(job);
  return { ...job, isReady, ...(isReady ? { result: exportDownloadPath(job.teamId, job.id) } : {}) };
}
