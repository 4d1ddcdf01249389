/** The exports domain's queue (src/server/exports/export-queue.ts), over Inngest events. */
import type { ExportQueue } from "~/server/exports/export-queue";
import { exportCancelRequested, exportRequested } from "~/server/jobs/events";
import { inngest } from "~/server/jobs/inngest-client";

export const inngestExportQueue: ExportQueue = {
  async startRun(run) {
    await inngest.send(exportRequested(run));
  },
  async cancelRun(exportId) {
    await inngest.send(exportCancelRequested.create({ exportId }));
  },
};
