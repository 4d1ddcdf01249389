/**
 * An export's run as an Inngest function: each step of src/server/exports/run/export-steps.ts
 * in a checkpointed `step.run`, named by the kind's run, with the run's limits as the
 * function's `retries`, `timeouts.finish` and per-team concurrency:
 *
 *   1. "load <thing>"        load (authorise again, find the resource, fix the plan and the key)
 *   2. "fetch durations …"   the kind's own checkpoints, if any
 *   3. "<produce step>"      rows → format → destination; returns only figures
 *   4. "mark completed"      record the file on the job
 *   5. "schedule deletion"   hand the file to `delete-export-file`, which sleeps for the
 *                            file's lifetime and deletes it (functions/delete-export-file.ts)
 *
 * The wait lives in a run of its own because a run's `timeouts.finish` counts its sleeps: a
 * visit file lives 7 days, far past the export's 15-minute limit.
 *
 * Every step's failure goes through the exports domain (exports/run/export-failure.ts), which
 * says whether the engine tries the step again and, when the failure ends the export, settles
 * the job with its real code first: here that becomes a plain throw or a NonRetriableError. A
 * run that the engine ends (timeouts.finish, a cancel) settles in settle-ended-export.ts, and
 * a run that nobody drives any more is settled by the watchdog (src/server/exports/watchdog.ts).
 */
import { NonRetriableError } from "inngest";

import type { ExportRun } from "~/server/exports/kinds";
import { endFailedStep, settleFailedRun } from "~/server/exports/run/export-failure";
import {
  collectForExport,
  completeExport,
  fileToDelete,
  type LoadedExport,
  loadExport,
  produceExport,
  type RunExport,
} from "~/server/exports/run/export-steps";
import { exportCancelRequested, exportFileCreated } from "~/server/jobs/events";
import { inngest } from "~/server/jobs/inngest-client";

export type ExportFunctionSpec = {
  id: string;
  name: string;
  trigger: { event: string };
  /** The run's steps' names and limits; every kind the event can name runs this run. */
  run: ExportRun;
  /** The export the event's data names (parsed by the event's schema). */
  exportOf: (data: unknown) => RunExport;
};

export function defineExportFunction(spec: ExportFunctionSpec) {
  const { limits } = spec.run;
  return inngest.createFunction(
    {
      id: spec.id,
      name: spec.name,
      triggers: [spec.trigger],
      retries: limits.retries,
      timeouts: { finish: `${limits.finishWithinMinutes}m` },
      concurrency: { key: "event.data.teamId", limit: limits.concurrencyPerTeam },
      idempotency: "event.data.exportId",
      cancelOn: [{ event: exportCancelRequested.name, match: "data.exportId" }],
      // Every step settles the export when its failure ends it; this is for a failure outside
      // any step. The error arrives as Inngest serialised it, without its code.
      onFailure: async ({ event, error }) => {
        const { request, kind, target } = spec.exportOf(event.data.event.data);
        await settleFailedRun(request, kind.id, target, error);
      },
    },
    async ({ event, step, attempt }) => {
      const run = spec.exportOf(event.data);
      const last = attempt >= limits.retries;

      /** A step's work, its failure ended the exports domain's way. */
      const guarded =
        <T>(work: () => Promise<T>) =>
        async (): Promise<T> => {
          try {
            return await work();
          } catch (error) {
            const end = await endFailedStep(run.request, error, { last });
            if (end.retry) throw error;
            throw new NonRetriableError(end.message, { cause: error });
          }
        };

      // Step results come back as JSON; the plan survives that unchanged (it is JSON), which
      // TypeScript cannot see through `Jsonify<…>`.
      const loaded = (await step.run(spec.run.loadStep, guarded(() => loadExport(run)))) as LoadedExport;
      const collected = await collectForExport(run, loaded, async (name, work) => (await step.run(name, guarded(work))) as Awaited<ReturnType<typeof work>>);
      const produced = await step.run(spec.run.produceStep, guarded(() => produceExport(run, loaded, collected, attempt)));
      await step.run("mark completed", guarded(() => completeExport(run, loaded, produced)));
      // A step of its own rather than step.sendEvent, so that it can check the key it hands to
      // the deletion run: the key in the request body could be another export's.
      await step.run(
        "schedule deletion",
        guarded(async () => {
          const file = await fileToDelete(run, loaded);
          await inngest.send(exportFileCreated.create({ exportId: run.request.exportId, ...file }));
        }),
      );

      return { exportId: run.request.exportId, ...produced };
    },
  );
}
