/**
 * The skeleton every export runs on, as checkpointed Inngest steps:
 *
 *   1. "load <thing>"       authorise the requester again, load the resource, pick the key
 *   2. "<produce step>"     stream rows → CSV → multipart upload; returns only figures
 *   3. "mark completed"     record the file on the job
 *   4. "schedule deletion"  hand the file to `delete-export-file`, which sleeps for the
 *                           file's lifetime and deletes it (functions/delete-export-file.ts)
 *
 * The wait lives in a run of its own because a run's `timeouts.finish` counts its sleeps:
 * a visit file lives 7 days, far past the export's 15-minute limit.
 *
 * A user's cancel marks the job CANCELLED; the producing step notices within a second,
 * aborts its query and upload, and nothing is left. Any failure that outlives its retries
 * reaches onFailure, which deletes whatever was written and marks the job FAILED.
 */
import type { Readable } from "node:stream";

import { type GetStepTools, NonRetriableError } from "inngest";

import { recordExportOutcome } from "~/server/audit/export-audit";
import { type ErrorCode, isAppError } from "~/server/errors";
import { cancelledError, failureReason, settleUnfinishedExport } from "~/server/exports/settle-export";
import { exportCancelRequested, exportFileCreated } from "~/server/jobs/events";
import { inngest } from "~/server/jobs/inngest-client";
import { createProgressReporter } from "~/server/jobs/job-store";
import { log } from "~/server/log";
import { getJobStore, getStorage } from "~/server/services";
import { newExportKey } from "~/server/storage";
import { requireMembership } from "~/server/teams/membership";

export type ExportRequest = { exportId: string; teamId: string; userId: string };

export type ProduceSummary = { rows: number; bytes: number; truncated: boolean };

/** What the producing step gets: where to report progress, and when to stop. */
export type ProduceContext = {
  signal: AbortSignal;
  progress: (p: { phase: string; rows: number; bytes: number; totalRows?: number }) => void;
};

/** A CSV body to upload, and its figures once the body has been read to the end. */
export type ProducedFile = { body: Readable; summary: () => ProduceSummary };

type Json = string | number | boolean | null | Json[] | { [key: string]: Json };

export type StepTools = GetStepTools<typeof inngest>;

export type ExportDefinition<TData extends ExportRequest, TPlan extends { [key: string]: Json }, TCollected = undefined> = {
  id: string;
  name: string;
  trigger: { event: string };
  parse: (data: unknown) => TData;
  retries: 0 | 1 | 2 | 3 | 4 | 5;
  /** Inngest's `timeouts.finish` for the run, e.g. "5m"; the producing step also stops by then. */
  timeout: `${number}m`;
  timeoutMs: number;
  concurrencyPerTeam: number;
  loadStep: string;
  produceStep: string;
  fileTtlSeconds: () => number;
  load: (data: TData) => Promise<{ plan: TPlan; resourceName: string; fileName: string }>;
  /**
   * Optional checkpointed work between loading and producing, run with the step tools so it
   * can be split into many small steps (a visit export fetches durations in batches).
   */
  collect?: (data: TData, plan: TPlan, step: StepTools) => Promise<TCollected>;
  produce: (data: TData, plan: TPlan, ctx: ProduceContext, collected: TCollected) => Promise<ProducedFile>;
};

/** Failures that a retry cannot mend: the export ends at once, with this message. */
const permanentCodes: ReadonlySet<ErrorCode> = new Set([
  "QUERY_FAILED",
  "FILE_TOO_LARGE",
  "NOT_FOUND",
  "FORBIDDEN",
  "BAD_REQUEST",
  "TIMEOUT",
  "CONFLICT",
]);

/** Watches the job while a step works, and aborts the work once the job is no longer PROCESSING. */
function watchForCancellation(exportId: string, controller: AbortController) {
  const timer = setInterval(() => {
    void getJobStore()
      .get(exportId)
      .then((job) => {
        if (!job || job.status !== "PROCESSING") controller.abort(cancelledError());
      })
      .catch(() => {});
  }, 1000);
  return () => clearInterval(timer);
}

export function defineExportFunction<TData extends ExportRequest, TPlan extends { [key: string]: Json }, TCollected = undefined>(
  def: ExportDefinition<TData, TPlan, TCollected>,
) {
  return inngest.createFunction(
    {
      id: def.id,
      name: def.name,
      triggers: [def.trigger],
      retries: def.retries,
      timeouts: { finish: def.timeout },
      concurrency: { key: "event.data.teamId", limit: def.concurrencyPerTeam },
      idempotency: "event.data.exportId",
      cancelOn: [{ event: exportCancelRequested.name, match: "data.exportId" }],
      onFailure: async ({ event, error }) => {
        const data = def.parse(event.data.event.data);
        await settleUnfinishedExport(data.exportId, "FAILED", failureReason(error));
      },
    },
    async ({ event, step, attempt }) => {
      const data = def.parse(event.data);
      const store = getJobStore();
      const ttl = def.fileTtlSeconds();

      // Step results come back as JSON; the generic plan survives that unchanged (it is JSON),
      // which TypeScript cannot see through `Jsonify<TPlan>`.
      const loaded = (await step.run(def.loadStep, async () => {
        try {
          await requireMembership(data.userId, data.teamId);
          const { plan, resourceName, fileName } = await def.load(data);
          const key = newExportKey(data.teamId, fileName);
          await store.transition(data.exportId, "PROCESSING", { resourceName, fileKey: key });
          return { plan, key, fileName };
        } catch (error) {
          if (isAppError(error) && permanentCodes.has(error.code)) {
            await settleUnfinishedExport(data.exportId, "FAILED", failureReason(error));
            throw new NonRetriableError(error.message, { cause: error });
          }
          throw error;
        }
      })) as unknown as { plan: TPlan; key: string; fileName: string };

      const collected = def.collect ? await def.collect(data, loaded.plan, step) : undefined;

      const produced = await step.run(def.produceStep, async () => {
        const controller = new AbortController();
        const deadline = setTimeout(
          () => controller.abort(new NonRetriableError(`The export did not finish within ${def.timeout}`)),
          def.timeoutMs,
        );
        const stopWatching = watchForCancellation(data.exportId, controller);
        const progress = createProgressReporter(store, data.exportId);
        const started = Date.now();
        try {
          const file = await def.produce(data, loaded.plan, { signal: controller.signal, progress: progress.report }, collected as TCollected);
          await getStorage().uploadStream({ key: loaded.key, body: file.body, fileName: loaded.fileName, signal: controller.signal });
          const summary = file.summary();
          progress.report({ phase: "uploaded", rows: summary.rows, bytes: summary.bytes });
          log("info", "export.produced", { exportId: data.exportId, function: def.id, attempt, ms: Date.now() - started, ...summary });
          return summary;
        } catch (error) {
          const reason = controller.signal.aborted ? controller.signal.reason : error;
          log("warn", "export.produce_failed", { exportId: data.exportId, function: def.id, attempt, ms: Date.now() - started, error: failureReason(reason).message });
          // The last attempt settles the job itself too: onFailure would only see the error
          // as Inngest serialised it, without its code (a data source that stays down would
          // read as a 500 rather than a 502).
          const lastAttempt = attempt >= def.retries;
          if ((isAppError(reason) && permanentCodes.has(reason.code)) || reason instanceof NonRetriableError || lastAttempt) {
            const cancelled = isAppError(reason) && reason.code === "CONFLICT";
            await settleUnfinishedExport(data.exportId, cancelled ? "CANCELLED" : "FAILED", failureReason(reason));
            throw new NonRetriableError(failureReason(reason).message, { cause: reason });
          }
          throw reason;
        } finally {
          clearTimeout(deadline);
          stopWatching();
          await progress.flush();
        }
      });

      await step.run("mark completed", async () => {
        const expiresAt = new Date(Date.now() + ttl * 1000).toISOString();
        const file = { key: loaded.key, name: loaded.fileName, size: produced.bytes, rowCount: produced.rows, truncated: produced.truncated, expiresAt };
        try {
          await store.transition(data.exportId, "COMPLETED", { file });
        } catch (error) {
          // Cancelled between the upload and now: the file must not outlive the job.
          if (isAppError(error) && error.code === "CONFLICT") {
            await getStorage().deleteObject(loaded.key);
            throw new NonRetriableError(error.message);
          }
          throw error;
        }
        await recordExportOutcome(data.exportId, "COMPLETED", produced);
        log("info", "export.completed", { exportId: data.exportId, function: def.id, ...produced, expiresAt });
      });

      await step.sendEvent(
        "schedule deletion",
        exportFileCreated.create({ exportId: data.exportId, key: loaded.key, ttlSeconds: ttl }),
      );

      return { exportId: data.exportId, ...produced };
    },
  );
}
