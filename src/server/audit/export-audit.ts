/**
 * The export audit log: who exported what, through which channel, and how it ended. It lives
 * in PostgreSQL so that it outlives the 7-day job records in Redis.
 *
 * A row starts STARTED and ends once: the first outcome recorded stands, so the many paths
 * that may see an export end (its run, a cancel, the watchdog) can all record theirs. The one
 * exception is an outcome recorded ahead of its job's end that the job did not take
 * (correctToJobEnd).
 */
import type { ExportChannel, ExportOutcome } from "~/generated/prisma/client";
import { db } from "~/server/db";

export type FinalOutcome = Exclude<ExportOutcome, "STARTED">;

/** How a job itself can end; LOST is the audit log's own, for a job that vanished. */
export type JobEnd = Exclude<FinalOutcome, "LOST">;

type OutcomeFigures = { rows?: number; bytes?: number; truncated?: boolean; error?: string };

/**
 * The columns an outcome sets besides itself: a missing figure is empty, so a corrected row
 * keeps none of the outcome it replaces. Only a failure has an error: a cancel is not one,
 * whichever path recorded it and whatever the job says about it.
 */
function figureColumns(outcome: FinalOutcome, figures: OutcomeFigures) {
  return {
    rows: figures.rows ?? null,
    bytes: figures.bytes === undefined ? null : BigInt(figures.bytes),
    truncated: figures.truncated ?? false,
    error: outcome === "CANCELLED" ? null : (figures.error?.slice(0, 2000) ?? null),
  };
}

export async function recordExportStarted(entry: {
  exportId: string;
  teamId: string;
  userId: string;
  kind: string;
  resourceId: string;
  resourceName?: string;
  resourceVersion?: number;
  channel: ExportChannel;
  /** The column's default (CSV) stands for rows written before exports had a format. */
  format?: string;
  compression?: string;
}) {
  await db.exportAuditEvent.upsert({ where: { exportId: entry.exportId }, create: entry, update: {} });
}

/** Ends the export's row with `outcome`; returns false when there is no row or it had ended already. */
export async function recordExportOutcome(exportId: string, outcome: FinalOutcome, figures: OutcomeFigures = {}): Promise<boolean> {
  const started = await db.exportAuditEvent.findUnique({ where: { exportId }, select: { createdAt: true, outcome: true } });
  if (started?.outcome !== "STARTED") return false;
  const finishedAt = new Date();
  // Conditional on STARTED again, so that of two racing outcomes exactly one lands.
  const { count } = await db.exportAuditEvent.updateMany({
    where: { exportId, outcome: "STARTED" },
    data: { outcome, finishedAt, durationMs: finishedAt.getTime() - started.createdAt.getTime(), ...figureColumns(outcome, figures) },
  });
  return count === 1;
}

/**
 * Makes an ended row say how its job ended, when it says otherwise; returns whether it did.
 * The paths that end an export's job (completeExport, cancelExport, settleUnfinishedExport)
 * record their outcome just before they write the job's end, so that whoever sees the job end
 * finds its row closed. Of two racing to end one job, the job store lets exactly one write its
 * end, and the other may have recorded first: its outcome, written ahead of an end that never
 * came, yields.
 * Only an outcome read from an ended job may be given, which no write changes any more; LOST
 * stays, recorded only once the job is gone.
 */
export async function correctToJobEnd(exportId: string, outcome: JobEnd, figures: OutcomeFigures = {}): Promise<boolean> {
  const others: JobEnd[] = ["COMPLETED", "FAILED", "CANCELLED"];
  const { count } = await db.exportAuditEvent.updateMany({
    where: { exportId, outcome: { in: others.filter((other) => other !== outcome) } },
    // The finish time stays when the first outcome was recorded: as the export stopped, or a
    // moment from it.
    data: { outcome, ...figureColumns(outcome, figures) },
  });
  return count === 1;
}

export type OpenAuditRow = { id: string; exportId: string; createdAt: Date };

/**
 * Rows still STARTED that began before `before`, oldest first, a page at a time: keyset on
 * (createdAt, id), so rows that end while the caller works through them shift nothing.
 */
export async function listOpenAuditRows(options: { before: Date; after?: OpenAuditRow; limit: number }): Promise<OpenAuditRow[]> {
  const { before, after, limit } = options;
  return db.exportAuditEvent.findMany({
    where: {
      outcome: "STARTED",
      createdAt: { lt: before },
      ...(after && { OR: [{ createdAt: { gt: after.createdAt } }, { createdAt: after.createdAt, id: { gt: after.id } }] }),
    },
    orderBy: [{ createdAt: "asc" }, { id: "asc" }],
    take: limit,
    select: { id: true, exportId: true, createdAt: true },
  });
}
