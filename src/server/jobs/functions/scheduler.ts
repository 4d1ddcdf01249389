import { inngest } from "~/server/jobs/inngest-client";
import { inngestScheduleQueue } from "~/server/jobs/inngest-schedule-queue";
import { advancePast, dueSlots } from "~/server/schedules/due-schedules";
import { sweepScheduleRuns } from "~/server/schedules/sweep-schedule-runs";

/**
 * Every minute, as Inngest recommends for schedules that users define: sends one
 * `export/schedule.due` per due schedule, then moves each on to its next slot, and deletes the
 * run history past its 90 days. Sent before moved, so that a pass that dies between the two
 * sends the same slots again the next minute, which the events' ids make a no-op. One pass
 * at a time, not retried: the next minute's pass is the retry.
 */
export const scheduler = inngest.createFunction(
  { id: "scheduler", name: "Scheduler", triggers: [{ cron: "* * * * *" }], retries: 0, concurrency: { limit: 1 } },
  async ({ step }) =>
    step.run("queue due schedules", async () => {
      const now = new Date();
      const slots = await dueSlots(now);
      if (slots.length > 0) await inngestScheduleQueue.runDue(slots);
      for (const slot of slots) await advancePast(slot, now);
      return { queued: slots.length, sweptRuns: await sweepScheduleRuns(now) };
    }),
);
