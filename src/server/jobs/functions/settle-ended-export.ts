import { internalEvents } from "inngest";
import { z } from "zod";

import { settleEndedRun } from "~/server/exports/settle-export";
import { inngest } from "~/server/jobs/inngest-client";

import { exportMetricData } from "./export-metric-data";
import { exportVisits } from "./export-visits";

/**
 * What this function reads of `inngest/function.cancelled`: Inngest sends the ended run's
 * `function_id` and its triggering `event` (with `run_id`, `events` and more), and nothing
 * that tells a timeout from a cancel (finalize.go in inngest/inngest; the SDK's
 * CancelledEventPayload). The local executor sends the same two fields.
 */
const cancelledRun = z.object({ function_id: z.string(), event: z.object({ data: z.object({ exportId: z.string() }) }) });

/**
 * Settles an export whose run the engine ended, by `timeouts.finish` or a cancel: the run's own
 * code never gets to, so without this the job would stay PROCESSING (settle-export.ts).
 */
export const settleEndedExport = inngest.createFunction(
  {
    id: "settle-ended-export",
    name: "Settle ended export",
    triggers: [exportMetricData, exportVisits].map((fn) => ({
      event: internalEvents.FunctionCancelled,
      if: `event.data.function_id == '${fn.id(inngest.id)}'`,
    })),
    retries: 5,
  },
  async ({ event, step }) => {
    const { exportId } = cancelledRun.parse(event.data).event.data;
    await step.run("settle export", () => settleEndedRun(exportId));
    return { exportId };
  },
);
