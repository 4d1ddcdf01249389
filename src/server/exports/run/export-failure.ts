/**
 * How a failed step of an export ends, decided here once for every step of every kind (load,
 * each batch of a visit export, produce, complete, schedule deletion): tried again by the
 * engine, or the export settled with the failure's own code and message, so that a run that
 * ends always leaves its job saying why. What a failure is (its code, whether trying again
 * may mend it, whether its own client retried it already) is errors.ts's to say.
 */
import { failureOf, isAppError } from "~/server/errors";
import { AttemptSupersededError } from "~/server/exports/job/producer-lease";
import type { ExportKind } from "~/server/exports/job/export-job";
import type { ExportRequest, ExportTarget } from "~/server/exports/kinds";
import { settleUnfinishedExport } from "~/server/exports/settle-export";
import { getJobStore } from "~/server/services";

import { ForeignExportError, isRunsOwnJob } from "./export-run-checks";

/** A readable reason for a failure, without internals such as stack traces. */
export function failureReason(error: unknown): { message: string; code: string } {
  const { code, message } = failureOf(error);
  return isAppError(error) ? { code, message } : { code, message: `The export failed: ${message}`.slice(0, 1000) };
}

export type StepEnd = { retry: true } | { retry: false; message: string };

/**
 * Settles the export when this failure ends it: a failure no retry can mend, or any failure on
 * the step's last attempt. A cancel (CONFLICT) ends it CANCELLED, anything else FAILED.
 */
export async function endFailedStep(request: ExportRequest, error: unknown, attempt: { last: boolean }): Promise<StepEnd> {
  // Not the run's record: it has no business settling it.
  if (error instanceof ForeignExportError) return { retry: false, message: error.message };
  // A newer attempt owns the export now: whatever this one says, it must not settle it.
  if (error instanceof AttemptSupersededError) return { retry: true };
  if (failureOf(error).retry && !attempt.last) return { retry: true };
  const reason = failureReason(error);
  await settleUnfinishedExport(request.exportId, reason.code === "CONFLICT" ? "CANCELLED" : "FAILED", reason);
  return { retry: false, message: reason.message };
}

/**
 * The engine's last word on a failed run (onFailure), for a failure no step settled. Only the
 * run's own record is settled: a forged event naming another export must not touch it.
 */
export async function settleFailedRun(request: ExportRequest, kind: ExportKind, target: ExportTarget, error: unknown): Promise<void> {
  const job = await getJobStore().get(request.exportId);
  if (!job || !isRunsOwnJob(job, request, kind, target)) return;
  await settleUnfinishedExport(request.exportId, "FAILED", failureReason(error));
}
