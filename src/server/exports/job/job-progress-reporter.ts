/**
 * Coalesces a fast export's progress into at most one write per `minIntervalMs` (4 a second by
 * default), so a million-row export costs Redis a handful of writes a second, not one per batch.
 */
import { log } from "~/server/log";

import type { ProgressUpdate } from "./export-job";

export type ProgressSink = { updateProgress(id: string, progress: ProgressUpdate): Promise<boolean> };

export type ProgressReporter = {
  /** Records the latest progress; cheap, never waits, never throws. */
  report(progress: ProgressUpdate): void;
  /** Writes whatever is pending now and waits for every write to settle. */
  flush(): Promise<void>;
  /** How many writes were sent, for tests and benchmarks. */
  readonly writes: number;
};

export function createProgressReporter(store: ProgressSink, jobId: string, options: { minIntervalMs?: number } = {}): ProgressReporter {
  const minIntervalMs = options.minIntervalMs ?? 250;
  let pending: ProgressUpdate | null = null;
  let lastWriteAt = -Infinity;
  let timer: ReturnType<typeof setTimeout> | null = null;
  // Writes go one after another, so an older value can never land after a newer one.
  let chain: Promise<void> = Promise.resolve();
  let writes = 0;

  const write = () => {
    timer = null;
    if (!pending) return;
    const progress = pending;
    pending = null;
    lastWriteAt = Date.now();
    writes++;
    chain = chain
      .then(() => store.updateProgress(jobId, progress))
      .then(
        () => {},
        (error: unknown) => {
          // Progress is advisory: a failed write must not fail the export.
          log("warn", "export.progress_write_failed", { exportId: jobId, error: error instanceof Error ? error.message : String(error) });
        },
      );
  };

  return {
    report: (progress) => {
      pending = progress;
      if (timer) return;
      const wait = lastWriteAt + minIntervalMs - Date.now();
      if (wait <= 0) write();
      else timer = setTimeout(write, wait);
    },
    flush: async () => {
      if (timer) clearTimeout(timer);
      write();
      await chain;
    },
    get writes() {
      return writes;
    },
  };
}
