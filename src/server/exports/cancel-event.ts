/**
 * The event that stops a cancelled export's run at its next step. The job is CANCELLED
 * before this is sent, and the run stops on that status by itself (the producing step within
 * a second, a queued run in its first step), so the event only spares the run its remaining
 * steps. It is sent in the background, and sent again with growing pauses while the engine
 * cannot be reached, so that a cancel that has happened never fails because of the engine.
 */
import type { ExportQueue } from "~/server/exports/export-queue";
import { log } from "~/server/log";

/** Pauses before each further attempt: about ten minutes in all, past a typical engine restart. */
const RETRY_DELAYS_MS = [2_000, 5_000, 15_000, 30_000, 60_000, 120_000, 360_000];

export function sendCancelEventInBackground(queue: ExportQueue, exportId: string, attempt = 0): void {
  queue.cancelRun(exportId).then(
    () => {
      if (attempt > 0) log("info", "export.cancel_event_sent", { exportId, attempt: attempt + 1 });
    },
    (error: unknown) => {
      const delay = RETRY_DELAYS_MS[attempt];
      const fields = { exportId, attempt: attempt + 1, error: error instanceof Error ? error.message : String(error) };
      if (delay === undefined) {
        log("error", "export.cancel_event_dropped", fields);
        return;
      }
      log("warn", "export.cancel_event_failed", { ...fields, retryInMs: delay });
      setTimeout(() => sendCancelEventInBackground(queue, exportId, attempt + 1), delay).unref();
    },
  );
}
