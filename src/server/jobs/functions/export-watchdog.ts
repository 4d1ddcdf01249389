import { watchExports } from "~/server/exports/watchdog";
import { inngest } from "~/server/jobs/inngest-client";

/**
 * Every minute, settles the exports that stopped moving and closes the audit rows left open
 * (src/server/exports/watchdog.ts). One sweep at a time; a failed sweep is simply the next
 * minute's to do, so it is not retried.
 */
export const exportWatchdog = inngest.createFunction(
  { id: "export-watchdog", name: "Export watchdog", triggers: [{ cron: "* * * * *" }], retries: 0, concurrency: { limit: 1 } },
  async ({ step }) =>
    step.run("settle stalled exports", async () => {
      const report = await watchExports();
      return { checked: report.checked, settled: report.settled.length, closed: report.closed.length, lost: report.lost.length };
    }),
);
