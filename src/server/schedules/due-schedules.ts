/**
 * Which schedules are due, and moving each on to its next slot, for the scheduler that runs
 * every minute (src/server/jobs/functions/scheduler.ts). A slot is `nextRunAt` as it stood;
 * after an outage only the first missed slot runs, late, and the next is counted from now.
 */
import { db } from "~/server/db";

import { nextRunAfter } from "./next-run";
import type { DueSlot } from "./schedule-queue";

/** How many schedules one pass of the scheduler takes; the rest are the next minute's. */
const BATCH = 500;

/** The enabled, unpaused schedules whose slot has come, earliest first. */
export async function dueSlots(now: Date): Promise<DueSlot[]> {
  const rows = await db.schedule.findMany({
    where: { enabled: true, pausedAt: null, nextRunAt: { lte: now } },
    orderBy: { nextRunAt: "asc" },
    take: BATCH,
    select: { id: true, nextRunAt: true },
  });
  return rows.map((row) => ({ scheduleId: row.id, dueAt: row.nextRunAt!.toISOString() }));
}

/** Moves a schedule past `slot`, unless something else (a change, another pass) moved it already. */
export async function advancePast(slot: DueSlot, now: Date): Promise<void> {
  const schedule = await db.schedule.findUnique({ where: { id: slot.scheduleId }, select: { cron: true, timezone: true } });
  if (!schedule) return;
  const dueAt = new Date(slot.dueAt);
  const next = nextRunAfter(schedule.cron, schedule.timezone, now > dueAt ? now : dueAt);
  await db.schedule.updateMany({ where: { id: slot.scheduleId, nextRunAt: dueAt }, data: { nextRunAt: next } });
}
