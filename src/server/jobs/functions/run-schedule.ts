import { scheduleDue } from "~/server/jobs/events";
import { inngest } from "~/server/jobs/inngest-client";
import { inngestExportQueue } from "~/server/jobs/inngest-export-queue";
import { abandonScheduledRun, beginScheduledRun, deliverScheduledRun, destinationCount, exportEnded, settleScheduledRun } from "~/server/schedules/run-schedule";

const RETRIES = 3;
/** How often the run looks at its export, and for how long at most: past the longest export's 15 minutes. */
const WATCH_EVERY = "5s";
const WATCH_TIMES = 12 * 20;

/**
 * One slot of a schedule (src/server/schedules/run-schedule.ts): start the export, watch it end,
 * record the outcome, then deliver to each destination in a step of its own, so that the
 * engine retries a destination that is down with backoff, and a destination's last failure is
 * recorded rather than thrown.
 */
export const runSchedule = inngest.createFunction(
  {
    id: "run-schedule",
    name: "Run schedule",
    triggers: [scheduleDue],
    retries: RETRIES,
    onFailure: async ({ event, error }) => {
      const { scheduleId, dueAt } = scheduleDue.schema.parse(event.data.event.data);
      await abandonScheduledRun(scheduleId, new Date(dueAt), error.message);
    },
  },
  async ({ event, step, attempt }) => {
    const { scheduleId, dueAt } = event.data;
    const begun = await step.run("start export", () => beginScheduledRun(inngestExportQueue, scheduleId, new Date(dueAt)));
    if (!begun) return { scheduleId, skipped: "the schedule no longer exists" };
    const { runId, exportId } = begun;
    if (exportId) {
      for (let i = 0; i < WATCH_TIMES; i++) {
        if (await step.run("check export", () => exportEnded(exportId))) break;
        await step.sleep("wait for export", WATCH_EVERY);
      }
    }
    const report = await step.run("record outcome", () => settleScheduledRun(runId));
    if (!report) return { runId, skipped: "the run no longer exists" };
    const destinations = await step.run("count destinations", () => destinationCount(runId));
    for (let index = 0; index < destinations; index++) {
      await step.run(`deliver to destination ${index + 1}`, () => deliverScheduledRun(runId, index, report, { tries: attempt + 1, last: attempt >= RETRIES }));
    }
    return { runId, exportId, status: report.status };
  },
);
