/**
 * Reading the export audit log: one team's events, newest first, a page at a time.
 *
 * Paging is by keyset on (createdAt, id), not by offset, so that events recorded while someone
 * reads do not shift the pages under them: every event shows up exactly once.
 */
import type { ExportChannel, ExportOutcome, Prisma } from "~/generated/prisma/client";
import { db } from "~/server/db";
import { AppError } from "~/server/errors";

export type AuditFilter = {
  outcome?: ExportOutcome;
  /** An export kind's id; the edges check it against the kind registry. */
  kind?: string;
  channel?: ExportChannel;
  userId?: string;
  /** Inclusive lower and exclusive upper bound on when the export started. */
  from?: Date;
  to?: Date;
  /** Part of the resource's name or id, case-insensitively. */
  resource?: string;
};

export type AuditPage = { limit: number; cursor?: string | null };

const auditEventSelect = {
  id: true,
  exportId: true,
  kind: true,
  resourceId: true,
  resourceName: true,
  channel: true,
  format: true,
  compression: true,
  outcome: true,
  rows: true,
  bytes: true,
  durationMs: true,
  error: true,
  truncated: true,
  createdAt: true,
  finishedAt: true,
  user: { select: { id: true, name: true, email: true } },
} satisfies Prisma.ExportAuditEventSelect;

// The cursor is the last event's position, "<createdAt ISO>_<id>"; clients treat it as opaque.
const CURSOR = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z)_([A-Za-z0-9]{1,64})$/;

function encodeCursor(event: { createdAt: Date; id: string }): string {
  return `${event.createdAt.toISOString()}_${event.id}`;
}

function afterCursor(cursor: string): Prisma.ExportAuditEventWhereInput {
  const match = CURSOR.exec(cursor);
  const createdAt = match ? new Date(match[1]!) : null;
  if (!match || !createdAt || Number.isNaN(createdAt.getTime())) throw new AppError("BAD_REQUEST", "Invalid cursor");
  return { OR: [{ createdAt: { lt: createdAt } }, { createdAt, id: { lt: match[2]! } }] };
}

export async function listAuditEvents(teamId: string, filter: AuditFilter, page: AuditPage) {
  const where: Prisma.ExportAuditEventWhereInput = {
    teamId,
    outcome: filter.outcome,
    kind: filter.kind,
    channel: filter.channel,
    userId: filter.userId,
    createdAt: filter.from || filter.to ? { gte: filter.from, lt: filter.to } : undefined,
    OR: filter.resource
      ? [
          { resourceName: { contains: filter.resource, mode: "insensitive" } },
          { resourceId: { contains: filter.resource, mode: "insensitive" } },
        ]
      : undefined,
    AND: page.cursor ? [afterCursor(page.cursor)] : undefined,
  };
  // One extra row says whether another page exists, without a count.
  const rows = await db.exportAuditEvent.findMany({
    where,
    orderBy: [{ createdAt: "desc" }, { id: "desc" }],
    take: page.limit + 1,
    select: auditEventSelect,
  });
  const items = rows.slice(0, page.limit);
  const last = items.at(-1);
  return {
    // Files are capped at 500 MB, far inside a double's exact integers, and numbers are what every client can read.
    items: items.map((event) => ({ ...event, bytes: event.bytes === null ? null : Number(event.bytes) })),
    nextCursor: rows.length > page.limit && last ? encodeCursor(last) : null,
  };
}
