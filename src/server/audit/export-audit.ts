/**
 * The export audit log: who exported what, through which channel, and how it ended. It lives
 * in PostgreSQL so that it outlives the 7-day job records in Redis.
 */
import type { ExportChannel, ExportOutcome } from "~/generated/prisma/client";
import { db } from "~/server/db";

export async function recordExportStarted(entry: {
  exportId: string;
  teamId: string;
  userId: string;
  kind: string;
  resourceId: string;
  resourceName?: string;
  channel: ExportChannel;
}) {
  await db.exportAuditEvent.upsert({ where: { exportId: entry.exportId }, create: entry, update: {} });
}

export async function recordExportOutcome(
  exportId: string,
  outcome: Exclude<ExportOutcome, "STARTED">,
  figures: { rows?: number; bytes?: number; truncated?: boolean; error?: string } = {},
) {
  const started = await db.exportAuditEvent.findUnique({ where: { exportId }, select: { createdAt: true } });
  if (!started) return;
  const finishedAt = new Date();
  await db.exportAuditEvent.update({
    where: { exportId },
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
}
