/** The exports domain's queue (src/server/exports/export-queue.ts), over Inngest events. */
import type { ExportQueue } from "~/server/exports/export-queue";
import { exportCancelRequested, exportOutcomeEmailRequested, exportRequested } from "~/server/jobs/events";
import { inngest } from "~/server/jobs/inngest-client";

export const inngestExportQueue: ExportQueue = {
  async startRun(run) {
    await inngest.send(exportRequested(run));
  },
  async cancelRun(exportId) {
    await inngest.send(exportCancelRequested.create({ exportId }));
  },
  async emailOutcome(exportId) {
    // One run an export, however many times it is asked for: the run reads whom to send to when it sends.
    await inngest.send(exportOutcomeEmailRequested.create({ exportId }, { id: `outcome-email-${exportId}` }));
  },
};
