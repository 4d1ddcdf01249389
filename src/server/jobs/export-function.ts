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
 * Every step checks the job record again before it acts (export-run-checks.ts): the event and
 * the earlier steps' results come in the request body. The producing step holds the export's
 * lease and beats its heartbeat every second (producer-lease.ts).
 *
 * A user's cancel marks the job CANCELLED; the producing step notices within a second,
 * aborts its query and upload, and nothing is left. Any failure that outlives its retries
 * reaches onFailure, which deletes whatever was written and marks the job FAILED. A run that
 * the engine ends (timeouts.finish, a cancel) settles in settle-ended-export.ts, and a run that
 * nobody drives any more is settled by the watchdog (src/server/exports/watchdog.ts).
 */
import type { Readable } from "node:stream";

import { type GetStepTools, NonRetriableError } from "inngest";

import { recordExportOutcome } from "~/server/audit/export-audit";
import { AppError, type ErrorCode, isAppError } from "~/server/errors";
import { finishDeadline, type RunLimits } from "~/server/exports/export-run-limits";
import { failureReason, settleUnfinishedExport } from "~/server/exports/settle-export";
import { exportCancelRequested, exportFileCreated } from "~/server/jobs/events";
import type { ProgressUpdate } from "~/server/exports/job/export-job";
import { type ExportRequest, type ExportTarget, requireOwnFileKey, requireOwnJob } from "~/server/exports/job/export-run-checks";
import { inngest } from "~/server/jobs/inngest-client";
import { createProgressReporter } from "~/server/exports/job/job-store";
import { takeProducerLease } from "~/server/exports/job/producer-lease";
import { log } from "~/server/log";
import { getJobStore, getStorage } from "~/server/services";
import { newExportKey } from "~/server/storage";

export type { ExportRequest } from "~/server/exports/job/export-run-checks";

export type ProduceSummary = { rows: number; bytes: number; truncated: boolean };

/** What the producing step gets: where to report progress, and when to stop. */
export type ProduceContext = {
  signal: AbortSignal;
  progress: (p: ProgressUpdate) => void;
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
  /** What the event says it exports; every step checks it against the job record. */
  target: (data: TData) => ExportTarget;
  /** The run's `timeouts.finish` and `retries` (export-run-limits.ts); the producing step stops by then too. */
  limits: RunLimits;
  concurrencyPerTeam: number;
  loadStep: string;
  produceStep: string;
  fileTtlSeconds: () => number;
  load: (data: TData) => Promise<{ plan: TPlan; resourceName: string; fileName: string }>;
  /**
   * Optional checkpointed work between loading and producing, run with the step tools so it
   * can be split into many small steps (a visit export fetches durations in batches). Each
   * of its steps checks the job record itself (requireOwnJob).
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

/** Settles the export for a failure that no retry will mend, and ends the step for good. */
async function failForGood(exportId: string, error: AppError): Promise<never> {
  await settleUnfinishedExport(exportId, error.code === "CONFLICT" ? "CANCELLED" : "FAILED", failureReason(error));
  throw new NonRetriableError(error.message, { cause: error });
}

export function defineExportFunction<TData extends ExportRequest, TPlan extends { [key: string]: Json }, TCollected = undefined>(
  def: ExportDefinition<TData, TPlan, TCollected>,
) {
  const timeout = `${def.limits.finishWithinMinutes}m` as const;
  const timeoutMs = def.limits.finishWithinMinutes * 60_000;
  return inngest.createFunction(
    {
      id: def.id,
      name: def.name,
      triggers: [def.trigger],
      retries: def.limits.retries,
      timeouts: { finish: timeout },
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
      const target = def.target(data);
      const store = getJobStore();
      const ttl = def.fileTtlSeconds();

      /** The step's own checks (export-run-checks.ts); a refusal no retry can mend fails the export. */
      const recheck = async (key?: string) => {
        try {
          const job = await requireOwnJob(data, target);
          if (key !== undefined) await requireOwnFileKey(data, key);
          return job;
        } catch (error) {
          if (isAppError(error) && permanentCodes.has(error.code)) await failForGood(data.exportId, error);
          throw error;
        }
      };

      // Step results come back as JSON; the generic plan survives that unchanged (it is JSON),
      // which TypeScript cannot see through `Jsonify<TPlan>`.
      const loaded = (await step.run(def.loadStep, async () => {
        const job = await recheck();
        try {
          const { plan, resourceName, fileName } = await def.load(data);
          // A retry of this step after the job started (its answer was lost) keeps the key
          // and the deadline that the first attempt recorded.
          const recordedKey = job.status === "PROCESSING" ? await store.fileKey(data.exportId) : null;
          if (recordedKey) return { plan, key: recordedKey, fileName };
          const key = newExportKey(data.teamId, fileName, ttl);
          const deadlineAt = finishDeadline(target.type, new Date()).toISOString();
          await store.transition(data.exportId, "PROCESSING", { resourceName, fileKey: key, deadlineAt });
          return { plan, key, fileName };
        } catch (error) {
          if (isAppError(error) && permanentCodes.has(error.code)) await failForGood(data.exportId, error);
          throw error;
        }
      })) as unknown as { plan: TPlan; key: string; fileName: string };

      const collected = def.collect ? await def.collect(data, loaded.plan, step) : undefined;

      const produced = await step.run(def.produceStep, async () => {
        await recheck(loaded.key);
        const controller = new AbortController();
        const started = Date.now();
        let lease: Awaited<ReturnType<typeof takeProducerLease>> | undefined;
        let deadline: NodeJS.Timeout | undefined;
        let progress: ReturnType<typeof createProgressReporter> | undefined;
        try {
          lease = await takeProducerLease(store, data.exportId, controller);
          deadline = setTimeout(() => controller.abort(new AppError("TIMEOUT", `The export did not finish within ${def.limits.finishWithinMinutes} minutes`)), timeoutMs);
          progress = createProgressReporter(lease.progress, data.exportId);
          const file = await def.produce(data, loaded.plan, { signal: controller.signal, progress: progress.report }, collected as TCollected);
          await getStorage().uploadStream({ key: loaded.key, body: file.body, fileName: loaded.fileName, signal: controller.signal });
          const summary = file.summary();
          progress.report({ phase: "uploaded", rows: summary.rows, bytes: summary.bytes });
          log("info", "export.produced", { exportId: data.exportId, function: def.id, attempt, ms: Date.now() - started, ...summary });
          return summary;
        } catch (error) {
          const reason = controller.signal.aborted ? controller.signal.reason : error;
          const superseded = lease?.superseded ?? false;
          log("warn", "export.produce_failed", { exportId: data.exportId, function: def.id, attempt, ms: Date.now() - started, superseded, error: failureReason(reason).message });
          // A newer attempt owns the export now: whatever this one says, it must not settle it.
          if (superseded) throw reason;
          // The last attempt settles the job itself too: onFailure would only see the error
          // as Inngest serialised it, without its code (a data source that stays down would
          // read as a 500 rather than a 502).
          const lastAttempt = attempt >= def.limits.retries;
          if (isAppError(reason) && permanentCodes.has(reason.code)) await failForGood(data.exportId, reason);
          if (reason instanceof NonRetriableError || lastAttempt) {
            await settleUnfinishedExport(data.exportId, "FAILED", failureReason(reason));
            throw new NonRetriableError(failureReason(reason).message, { cause: reason });
          }
          throw reason;
        } finally {
          clearTimeout(deadline);
          await progress?.flush();
          await lease?.release();
        }
      });

      await step.run("mark completed", async () => {
        await recheck(loaded.key);
        const expiresAt = new Date(Date.now() + ttl * 1000).toISOString();
        const file = { key: loaded.key, name: loaded.fileName, size: produced.bytes, rowCount: produced.rows, truncated: produced.truncated, expiresAt };
        try {
          await store.transition(data.exportId, "COMPLETED", { file });
        } catch (error) {
          const conflict = isAppError(error) && error.code === "CONFLICT";
          // A retry of this step after it completed the job: only the audit row is left to write.
          if (!(conflict && error.details?.status === "COMPLETED")) {
            // Cancelled between the upload and now: the file must not outlive the job.
            if (conflict) {
              await getStorage().deleteObject(loaded.key);
              throw new NonRetriableError(error.message);
            }
            throw error;
          }
        }
        await recordExportOutcome(data.exportId, "COMPLETED", produced);
        log("info", "export.completed", { exportId: data.exportId, function: def.id, ...produced, expiresAt });
      });

      // A step of its own rather than step.sendEvent, so that it can check the key it hands to
      // the deletion run: the key in the request body could be another export's.
      await step.run("schedule deletion", async () => {
        const job = await requireOwnJob(data, target);
        if (job.file?.key !== loaded.key) throw new NonRetriableError("The export's file is not the one this run wrote");
        await inngest.send(exportFileCreated.create({ exportId: data.exportId, key: loaded.key, ttlSeconds: ttl }));
      });

      return { exportId: data.exportId, ...produced };
    },
  );
}
