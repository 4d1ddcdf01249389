import { internalEvents, NonRetriableError } from "inngest";

import { failureOf } from "~/server/errors";
import { failOutcomeEmail, outcomeEmailState, sendOutcomeEmail } from "~/server/exports/outcome-email/outcome-email";
import { exportOutcomeEmailRequested } from "~/server/jobs/events";
import { inngest } from "~/server/jobs/inngest-client";

/** Retries of the send: on Inngest's back-off (15 s, 30 s, 1, 2, 5 min), about 9 minutes of trying. */
const RETRIES = 5;

/**
 * Emails an export's outcome once the export ends (outcome-email.ts). It checks the job, and
 * while the export runs, waits for the end of an export run (`inngest/function.finished`) or a
 * minute, whichever comes first, then checks again: the minute covers an end that no run
 * reports (a cancel, the watchdog) and one that came between the check and the wait. The job
 * ends by its deadline at the latest, so the loop ends.
 *
 * The send is tried once per attempt (the mailer itself does not retry), so this function's
 * retries are the only layer that tries again. The export's own run is untouched by any of it.
 */
export const emailExportOutcome = inngest.createFunction(
  {
    id: "email-export-outcome",
    name: "Email export outcome",
    triggers: [exportOutcomeEmailRequested],
    retries: RETRIES,
    idempotency: "event.data.exportId",
    onFailure: async ({ event, error }) => {
      await failOutcomeEmail(event.data.event.data.exportId, error.message);
    },
  },
  async ({ event, step, attempt }) => {
    const { exportId } = event.data;
    for (let check = 1; ; check++) {
      const state = await step.run(`check export ${check}`, () => outcomeEmailState(exportId));
      if (state === "none") return { exportId, sent: false };
      if (state === "due") break;
      await step.waitForEvent(`wait for the export to end ${check}`, {
        event: internalEvents.FunctionFinished,
        timeout: "1m",
        if: "async.data.event.data.exportId == event.data.exportId",
      });
    }
    const sent = await step.run("send email", async () => {
      const last = attempt >= RETRIES;
      try {
        return await sendOutcomeEmail(exportId, { last });
      } catch (error) {
        const failure = failureOf(error);
        if (failure.retry && !last) throw error;
        throw new NonRetriableError(failure.message, { cause: error });
      }
    });
    return { exportId, ...sent };
  },
);
