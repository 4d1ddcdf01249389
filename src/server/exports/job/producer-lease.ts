/**
 * One producer per export. The engine may start a step again while the old attempt still
 * runs (its worker looked dead, or the engine restarted), and two attempts would stream into
 * the same key and take turns writing progress. So each attempt takes the export's lease in
 * the job record (job-store.ts): the new attempt takes over, and the old one learns at its
 * next heartbeat, within a second, that it lost it and aborts its query and upload; the store
 * refuses its progress from then on. The new attempt writes nothing until the old one has
 * stood down, because an aborted upload deletes its key, which is the new attempt's key too.
 *
 * The heartbeat doubles as the watchdog's sign of life: it beats every second while the step
 * works, whether rows are flowing or the query has not returned its first one yet.
 */
import { randomUUID } from "node:crypto";

import { AppError } from "~/server/errors";
import { log } from "~/server/log";

import type { ExportStatus } from "./export-job";
import type { ProgressSink } from "./job-progress-reporter";
import type { JobStore, LeaseStatus } from "./job-store";

export type ProducerLease = {
  /** Progress written under this lease; refused once the lease is lost. */
  progress: ProgressSink;
  /** Whether a newer attempt took over: this one must then leave the job alone. */
  readonly superseded: boolean;
  /** Stops the heartbeat and gives the lease up. Never throws. */
  release(): Promise<void>;
};

export type LeaseOptions = {
  heartbeatMs?: number;
  /** A replaced producer silent this long is taken to be dead. */
  silenceMs?: number;
  /** The longest wait for a replaced producer that keeps beating without standing down. */
  maxStandDownMs?: number;
};

/** Why an attempt stops when a newer one took over: the export is the newer one's now, to finish or to settle. */
export class AttemptSupersededError extends AppError {
  constructor() {
    super("CONFLICT", "A newer attempt took over this export");
    this.name = "AttemptSupersededError";
  }
}

/** Why a producer must stop when its job is no longer PROCESSING. */
export function endedError(status: ExportStatus | null): AppError {
  if (status === "CANCELLED") return new AppError("CONFLICT", "The export was cancelled");
  return new AppError("CONFLICT", status ? `The export is already ${status.toLowerCase()}` : "The export no longer exists");
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Takes the lease for this attempt and waits until any producer it replaced has stood down.
 * From then on `controller` is aborted, within `heartbeatMs`, if the lease is lost or the
 * job stops being PROCESSING (cancelled, deleted, given up by the watchdog).
 */
export async function takeProducerLease(store: JobStore, exportId: string, controller: AbortController, options: LeaseOptions = {}): Promise<ProducerLease> {
  const { heartbeatMs = 1000, silenceMs = 3000, maxStandDownMs = 30_000 } = options;
  const token = randomUUID();
  let superseded = false;

  const act = (status: LeaseStatus) => {
    if (status.state === "lost") {
      superseded = true;
      controller.abort(new AttemptSupersededError());
    } else if (status.state === "ended") {
      controller.abort(endedError(status.status));
    }
    return status;
  };

  const acquired = act(await store.acquireLease(exportId, token));
  if (acquired.state !== "held") throw controller.signal.reason;

  const beat = () => store.heartbeat(exportId, token).then(act);
  const timer = setInterval(() => {
    // A missed beat (Redis briefly unreachable) is made up by the next one.
    beat().catch(() => {});
  }, heartbeatMs);
  const lease: ProducerLease = {
    progress: { updateProgress: (id, progress) => store.updateProgress(id, progress, token) },
    get superseded() {
      return superseded;
    },
    async release() {
      clearInterval(timer);
      await store.releaseLease(exportId, token).catch((error: unknown) => {
        log("warn", "export.lease_release_failed", { exportId, error: error instanceof Error ? error.message : String(error) });
      });
    },
  };

  const giveUpAt = Date.now() + maxStandDownMs;
  for (;;) {
    const status = await beat().catch(async (error: unknown) => {
      await lease.release();
      throw error;
    });
    if (status.state !== "held") {
      await lease.release();
      throw controller.signal.reason;
    }
    const previous = status.supersededHeartbeatAt;
    if (previous === null || Date.now() - previous > silenceMs) break;
    if (Date.now() > giveUpAt) {
      log("warn", "export.lease_takeover_forced", { exportId, waitedMs: maxStandDownMs });
      break;
    }
    await sleep(Math.min(200, heartbeatMs));
  }
  return lease;
}
