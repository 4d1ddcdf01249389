/**
 * The audit trail of schedules: who created, changed, paused, resumed, deleted or ran one, and
 * when a schedule paused itself. A change records the names of the fields it set, never their
 * values, so that no destination's settings or credentials reach the log.
 */
import type { ScheduleChange } from "~/generated/prisma/client";
import { db } from "~/server/db";

export type ScheduleAuditEntry = {
  teamId: string;
  schedule: { id: string; name: string };
  /** Null when the schedule changed itself (it paused after failed runs). */
  userId: string | null;
  change: ScheduleChange;
  fields?: string[];
  reason?: string;
};

export async function recordScheduleChange(entry: ScheduleAuditEntry): Promise<void> {
  await db.scheduleAuditEvent.create({
    data: {
      teamId: entry.teamId,
      scheduleId: entry.schedule.id,
      scheduleName: entry.schedule.name,
      userId: entry.userId,
      change: entry.change,
      fields: entry.fields ?? [],
      reason: entry.reason?.slice(0, 2000),
    },
  });
}

/** A team's latest schedule changes, newest first, or one schedule's. */
export async function listScheduleChanges(teamId: string, query: { limit: number; scheduleId?: string }) {
  const rows = await db.scheduleAuditEvent.findMany({
    where: { teamId, scheduleId: query.scheduleId },
    orderBy: [{ createdAt: "desc" }, { id: "desc" }],
    take: query.limit,
    select: { id: true, scheduleId: true, scheduleName: true, change: true, fields: true, reason: true, createdAt: true, user: { select: { id: true, name: true, email: true } } },
  });
  return rows.map((row) => ({ ...row, fields: row.fields as string[] }));
}
