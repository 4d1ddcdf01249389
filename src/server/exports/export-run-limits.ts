/**
 * How long each kind of export may run and how often it is retried. The Inngest functions
 * take their `timeouts.finish` and `retries` from here, and the watchdog its bounds, so that
 * the watchdog never gives up a run that the engine still keeps alive.
 */
import type { ExportKind } from "~/server/exports/job/export-job";

export type RunLimits = {
  /** The run's `timeouts.finish`, in minutes; the producing step stops by then too. */
  finishWithinMinutes: number;
  /** Retries per step (Inngest's `retries`). */
  retries: 0 | 1 | 2 | 3 | 4 | 5;
  /**
   * How long a producing step may go without a heartbeat before it counts as dead. A step
   * whose process was killed is retried by the engine after its back-off, and the retry's
   * heartbeat takes over; Inngest waits 15 s, 30 s, 1 min, 2 min … between attempts, plus up
   * to 30 s of jitter (pkg/backoff in inngest/inngest). The bound is the sum of those waits
   * for every retry, counted one step of the table later for safety: metric exports (2
   * retries) 30+30 + 60+30 s, visit exports (3 retries) that plus 120+30 s, each rounded up.
   */
  silentForMs: number;
};

const metric: RunLimits = { finishWithinMinutes: 5, retries: 2, silentForMs: 3 * 60_000 };
const visits: RunLimits = { finishWithinMinutes: 15, retries: 3, silentForMs: 6 * 60_000 };

export const runLimits: Record<ExportKind, RunLimits> = { metric, document: visits, dataroom: visits, "dataroom-group": visits };

/**
 * Past `timeouts.finish` the engine has ended the run; the grace lets its own cancellation
 * (and the run's clean-up) land first, and absorbs clock skew between app and engine.
 */
export const DEADLINE_GRACE_MS = 60_000;

export const finishWithinMs = (kind: ExportKind) => runLimits[kind].finishWithinMinutes * 60_000;

/** When a job that started PROCESSING at `startedAt` is given up if it has not ended. */
export function finishDeadline(kind: ExportKind, startedAt: Date): Date {
  return new Date(startedAt.getTime() + finishWithinMs(kind) + DEADLINE_GRACE_MS);
}
