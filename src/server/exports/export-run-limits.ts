/**
 * When a run must have ended, from its kind's limits (kinds/export-kind.ts): the producing
 * step stops at `timeouts.finish`, and the job is given up a grace period after it.
 */
import type { RunLimits } from "~/server/exports/kinds";

/**
 * Past `timeouts.finish` the engine has ended the run; the grace lets its own cancellation
 * (and the run's clean-up) land first, and absorbs clock skew between app and engine.
 */
export const DEADLINE_GRACE_MS = 60_000;

export const finishWithinMs = (limits: RunLimits) => limits.finishWithinMinutes * 60_000;

/** When a job that started PROCESSING at `startedAt` is given up if it has not ended. */
export function finishDeadline(limits: RunLimits, startedAt: Date): Date {
  return new Date(startedAt.getTime() + finishWithinMs(limits) + DEADLINE_GRACE_MS);
}
