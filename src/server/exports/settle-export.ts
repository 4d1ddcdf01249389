/**
 * How an export that will not complete is put to rest: its file (partial or whole) is
 * deleted, the job is marked FAILED or CANCELLED unless it already ended, and the audit log
 * records the outcome that stands. Idempotent, so every path that may see the end of a run
 * can call it: the run itself, onFailure, a cancel, the engine's end of a run, the watchdog.
 */
import { correctToJobEnd, recordExportOutcome } from "~/server/audit/export-audit";
import { isAppError } from "~/server/errors";
import { defaultDestination } from "~/server/exports/destinations";
import { finishWithinMs } from "~/server/exports/export-run-limits";
import { type ExportJob, isTerminal } from "~/server/exports/job/export-job";
import { runLimits } from "~/server/exports/kinds";
import { log } from "~/server/log";
import { getJobStore, getRepeatJoins } from "~/server/services";

export async function settleUnfinishedExport(
  exportId: string,
  outcome: "FAILED" | "CANCELLED",
  reason: { message: string; code?: string },
): Promise<void> {
  const store = getJobStore();
  let job = await store.get(exportId);
  if (job && !isTerminal(job.status)) {
    // The audit row first, so that whoever sees the job end (the REST download answers that
    // instant) finds its row closed; a refused transition leaves the job another end, which
    // closeAuditRow then gives the row.
    await recordExportOutcome(exportId, outcome, { error: reason.message });
    try {
      await store.transition(exportId, outcome, { error: reason.message, errorCode: reason.code });
      log(outcome === "FAILED" ? "error" : "info", "export.settled", { exportId, outcome, code: reason.code, error: reason.message });
    } catch (error) {
      // A concurrent cancel or completion got there first; theirs is the outcome.
      if (!(isAppError(error) && error.code === "CONFLICT")) throw error;
    }
    job = await store.get(exportId);
  }
  if (job) await closeAuditRow(job);
  // A repeat of a failed or cancelled export starts a new one; its entry goes with it.
  const joinKey = await store.joinKey(exportId);
  if (joinKey) await getRepeatJoins().release(joinKey, exportId);
  // The job is settled first: storage may be the very thing that is down. A file that
  // cannot be deleted now is left to the bucket's lifecycle rule, and said so in the log.
  const key = await store.fileKey(exportId);
  if (!key) return;
  try {
    await defaultDestination.discard(key);
    if (job?.status === "COMPLETED") await store.markFileDeleted(exportId);
  } catch (error) {
    log("warn", "export.cleanup_failed", { exportId, key, error: error instanceof Error ? error.message : String(error) });
  }
}

/**
 * Ends the audit row of a job that has ended with the job's own outcome. A row ended otherwise
 * is corrected: its outcome was recorded ahead of a job end that another path won
 * (correctToJobEnd). Every path that ends an export comes through here, so the row is put right
 * wherever the race ends: in the run's own settling, in a cancel's, or in the watchdog's.
 */
export async function closeAuditRow(job: ExportJob): Promise<void> {
  const { status } = job;
  if (status !== "COMPLETED" && status !== "FAILED" && status !== "CANCELLED") return;
  const figures = status === "COMPLETED" ? { rows: job.file?.rowCount, bytes: job.file?.size, truncated: job.file?.truncated } : { error: job.error };
  if (!(await recordExportOutcome(job.id, status, figures))) await correctToJobEnd(job.id, status, figures);
}

/**
 * Settles the job of a run that the engine ended (`inngest/function.cancelled`). A user's
 * cancel has marked the job CANCELLED already. A job still going was ended by the engine
 * itself: by `timeouts.finish` once the kind's finish time has passed since the job was
 * created (the run cannot have started earlier), otherwise by an operator's cancel. Inngest's
 * event does not say which; the job's age does.
 */
export async function settleEndedRun(exportId: string, now: Date = new Date()): Promise<void> {
  const job = await getJobStore().get(exportId);
  if (!job) return;
  const timedOut = !isTerminal(job.status) && now.getTime() - Date.parse(job.createdAt) >= finishWithinMs(runLimits[job.type]);
  if (timedOut) {
    const minutes = runLimits[job.type].finishWithinMinutes;
    await settleUnfinishedExport(exportId, "FAILED", { message: `The export did not finish within ${minutes} minutes and was stopped`, code: "TIMEOUT" });
  } else {
    await settleUnfinishedExport(exportId, "CANCELLED", { message: "The export was cancelled" });
  }
}
