/** The schedules domain's queue (src/server/schedules/schedule-queue.ts), over Inngest events. */
import { scheduleDueEvent } from "~/server/jobs/events";
import { inngest } from "~/server/jobs/inngest-client";
import type { ScheduleQueue } from "~/server/schedules/schedule-queue";

export const inngestScheduleQueue: ScheduleQueue = {
  async runDue(slots) {
    await inngest.send(slots.map(scheduleDueEvent));
  },
};
