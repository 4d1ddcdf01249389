/**
 * The export audit log: who exported what, through which channel, and how it ended. It lives
 * in PostgreSQL so that it outlives the 7-day job records in Redis.
 *
 * A row starts STARTED and ends exactly once: the first outcome recorded stands, so the many
 * paths that may see an export end (its run, a cancel, the watchdog) can all record theirs.
 */
import type { ExportChannel, ExportOutcome } from "~/generated/prisma/client";
import { db } from "~/server/db";

export type FinalOutcome = Exclude<ExportOutcome, "STARTED">;

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
export async function recordExportOutcome(
  exportId: string,
  outcome: FinalOutcome,
  figures: { rows?: number; bytes?: number; truncated?: boolean; error?: string } = {},
): Promise<boolean> {
  const started = await db.exportAuditEvent.findUnique({ where: { exportId }, select: { createdAt: true, outcome: true } });
  if (started?.outcome !== "STARTED") return false;
  const finishedAt = new Date();
  // Conditional on STARTED again, so that of two racing outcomes exactly one lands.
  const { count } = await db.exportAuditEvent.updateMany({
    where: { exportId, outcome: "STARTED" },
    data: {
      outcome,
      finishedAt,
      durationMs: finishedAt.getTime() - started.createdAt.getTime(),
      rows: figures.rows,
      bytes: figures.bytes === undefined ? undefined : BigInt(figures.bytes),
      truncated: figures.truncated ?? false,
      error: figures.error?.slice(0, 2000),
    },
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
