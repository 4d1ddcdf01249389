/** The run history's lifetime: at least 90 days, then the scheduler deletes it (with its deliveries). */
import { db } from "~/server/db";

const RUN_HISTORY_DAYS = 90;

/** Deletes the runs that started more than 90 days before `now`; how many. */
export async function sweepScheduleRuns(now: Date): Promise<number> {
  const { count } = await db.scheduleRun.deleteMany({ where: { startedAt: { lt: new Date(now.getTime() - RUN_HISTORY_DAYS * 86_400_000) } } });
  return count;
}
