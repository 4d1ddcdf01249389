/**
 * How an export that will not complete is put to rest: its file (partial or whole) is
 * deleted, the job is marked FAILED or CANCELLED unless it already ended, and the audit log
 * records the outcome. Idempotent, so every path that may see the end of a run can call it.
 */
import { recordExportOutcome } from "~/server/audit/export-audit";
import { AppError, isAppError } from "~/server/errors";
import { isTerminal } from "~/server/jobs/export-job";
import { log } from "~/server/log";
import { getJobStore, getStorage } from "~/server/services";

export async function settleUnfinishedExport(
  exportId: string,
  outcome: "FAILED" | "CANCELLED",
  reason: { message: string; code?: string },
): Promise<void> {
  const store = getJobStore();
  const job = await store.get(exportId);
  if (job && !isTerminal(job.status)) {
    try {
      await store.transition(exportId, outcome, { error: reason.message, errorCode: reason.code });
      await recordExportOutcome(exportId, outcome, { error: reason.message });
      log(outcome === "FAILED" ? "error" : "info", "export.settled", { exportId, outcome, code: reason.code, error: reason.message });
    } catch (error) {
      // A concurrent cancel or completion got there first; theirs is the outcome.
      if (!(isAppError(error) && error.code === "CONFLICT")) throw error;
    }
  }
  // The job is settled first: storage may be the very thing that is down. A file that
  // cannot be deleted now is left to the bucket's lifecycle rule, and said so in the log.
  const key = await store.fileKey(exportId);
  if (!key) return;
  try {
    await getStorage().deleteObject(key);
    if (job?.status === "COMPLETED") await store.markFileDeleted(exportId);
  } catch (error) {
    log("warn", "export.cleanup_failed", { exportId, key, error: error instanceof Error ? error.message : String(error) });
  }
}

/** A readable reason for a failure, without internals such as stack traces. */
export function failureReason(error: unknown): { message: string; code?: string } {
  if (isAppError(error)) return { message: error.message, code: error.code };
  const message = error instanceof Error ? error.message : String(error);
  return { message: `The export failed: ${message}`.slice(0, 1000), code: "INTERNAL" };
}

export function cancelledError(): AppError {
  return new AppError("CONFLICT", "The export was cancelled");
}
