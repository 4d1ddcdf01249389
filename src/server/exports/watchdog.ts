/**
 * The watchdog: settles every export that stopped moving, so that no job stays PENDING or
 * PROCESSING for ever and every audit row ends. A cron run calls it every minute
 * (src/server/jobs/functions/export-watchdog.ts); it takes `now`, so a test can move time.
 *
 * It starts from the audit log's STARTED rows, which are every export that began and has not
 * been seen to end, and reads each one's job:
 *
 *   - gone from Redis (expired, or deleted without an outcome): the row ends LOST;
 *   - past its deadline, still PENDING (its run never started) or PROCESSING (its run ended
 *     without settling it, say the engine was down past `timeouts.finish`): reading it fails
 *     it (job-store.ts), then it is settled like any failed export;
 *   - PROCESSING with a producing step silent for longer than its kind allows: the worker
 *     died mid-step and no retry took over, so it is FAILED;
 *   - already ended while its row stayed open: the row gets the job's outcome, and the file of
 *     a failed or cancelled job goes.
 *
 * A run waiting in its retry back-off holds no heartbeat (its step released the lease), so it
 * is healthy until its deadline. Settling deletes the file; a producing step still running
 * somewhere notices the job's end within a second and aborts its own multipart upload.
 */
import { listOpenAuditRows, type OpenAuditRow, recordExportOutcome } from "~/server/audit/export-audit";
import { closeAuditRow, settleUnfinishedExport } from "~/server/exports/settle-export";
import { stalledExportError } from "~/server/exports/job/export-job";
import type { JobState } from "~/server/exports/job/job-store";
import { runLimits } from "~/server/exports/kinds";
import { log } from "~/server/log";
import { getJobStore } from "~/server/services";

/**
 * A row is called LOST only once it is this old: a record can be missing for a moment on a
 * Redis read replica (Upstash's global databases replicate asynchronously), and an export that
 * vanished loses nothing by being closed a few minutes later.
 */
export const LOST_AFTER_MS = 5 * 60_000;

const PAGE = 200;

export const LOST_REASON = "The export's record expired or was deleted before the export ended";

export type WatchReport = {
  /** Open audit rows looked at. */
  checked: number;
  /** Jobs this sweep ended FAILED: past their deadline, or silent. */
  settled: string[];
  /** Jobs that had ended already, whose audit rows it closed. */
  closed: string[];
  /** Exports whose record had vanished: audit LOST. */
  lost: string[];
};

export async function watchExports(now: Date = new Date()): Promise<WatchReport> {
  const report: WatchReport = { checked: 0, settled: [], closed: [], lost: [] };
  let after: OpenAuditRow | undefined;
  for (;;) {
    const rows = await listOpenAuditRows({ before: now, after, limit: PAGE });
    if (!rows.length) break;
    const states = await getJobStore().readStates(
      rows.map((row) => row.exportId),
      now,
    );
    for (const [i, row] of rows.entries()) await watchOne(row, states[i] ?? null, now, report);
    report.checked += rows.length;
    after = rows.at(-1);
    if (rows.length < PAGE) break;
  }
  return report;
}

async function watchOne(row: OpenAuditRow, state: JobState | null, now: Date, report: WatchReport): Promise<void> {
  if (!state) {
    if (now.getTime() - row.createdAt.getTime() < LOST_AFTER_MS) return;
    if (await recordExportOutcome(row.exportId, "LOST", { error: LOST_REASON })) {
      report.lost.push(row.exportId);
      log("warn", "export.lost", { exportId: row.exportId, startedAt: row.createdAt.toISOString() });
    }
    return;
  }
  const { job, heartbeatAt } = state;
  if (state.failedOverdue) {
    await settleUnfinishedExport(job.id, "FAILED", stalledExportError);
    report.settled.push(job.id);
    log("error", "export.stalled", { exportId: job.id, why: "past its deadline", ...stalledExportError });
  } else if (job.status === "FAILED" || job.status === "CANCELLED") {
    // Ended, its row still open (the process died between the two writes): the rest of settling.
    await settleUnfinishedExport(job.id, job.status, { message: job.error ?? "", code: job.errorCode });
    report.closed.push(job.id);
  } else if (job.status === "COMPLETED") {
    await closeAuditRow(job);
    report.closed.push(job.id);
  } else if (job.status === "PROCESSING" && heartbeatAt !== null && now.getTime() - heartbeatAt > runLimits[job.type].silentForMs) {
    await settleUnfinishedExport(job.id, "FAILED", stalledExportError);
    report.settled.push(job.id);
    log("error", "export.stalled", { exportId: job.id, why: "no heartbeat", silentForMs: now.getTime() - heartbeatAt, ...stalledExportError });
  }
}
