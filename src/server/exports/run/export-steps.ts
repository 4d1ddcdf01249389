/**
 * The steps of an export's run, whatever its kind, format and destination. The engine drives
 * each as a checkpointed step (src/server/jobs/export-function.ts):
 *
 *   1. load      authorise the requester again, find the resource, fix the plan and the key
 *   2. collect   the kind's own checkpointed work, if it has any (a visit export's durations)
 *   3. produce   the kind's rows → the format's bytes → the destination; returns only figures
 *   4. complete  record the file on the job
 *   5. schedule deletion  the key and lifetime the deletion run gets, checked
 *
 * Every step checks the job record again before it acts (export-run-checks.ts): the event and
 * the earlier steps' results come in the request body. The producing step holds the export's
 * lease and beats its heartbeat every second (producer-lease.ts). A failure goes through
 * export-failure.ts, which settles the export when the failure ends it.
 */
import { correctToJobEnd, recordExportOutcome } from "~/server/audit/export-audit";
import { AppError, failureOf, isAppError } from "~/server/errors";
import { defaultDestination } from "~/server/exports/destinations";
import { exportLimits } from "~/server/exports/export-limits";
import { finishDeadline, finishWithinMs } from "~/server/exports/export-run-limits";
import type { EncodedSummary } from "~/server/exports/formats";
import { encodeCompressed } from "~/server/exports/formats/compression";
import { exportFileType, type FileOptions } from "~/server/exports/formats/file-options";
import type { ExportJob } from "~/server/exports/job/export-job";
import { createProgressReporter } from "~/server/exports/job/job-store";
import { takeProducerLease } from "~/server/exports/job/producer-lease";
import type { Checkpoint, ExportKindDefinition, ExportRequest, ExportTarget, JsonObject, ProducedRows } from "~/server/exports/kinds";
import { log } from "~/server/log";
import { getJobStore } from "~/server/services";

import { ForeignExportError, requireOwnFileKey, requireOwnJob } from "./export-run-checks";

/** One run's export, as its event names it. */
export type RunExport = { request: ExportRequest; kind: ExportKindDefinition; target: ExportTarget; file: FileOptions };

/** What loading fixed: the kind's plan, where the file goes and what it is called. */
export type LoadedExport = { plan: JsonObject; key: string; fileName: string };

const destination = defaultDestination;

/** How long the run's file lives: what its request says (a schedule's retention), else its kind's lifetime. */
function fileLifetimeSeconds({ request, kind }: RunExport): number {
  return request.fileTtlSeconds ?? kind.run.limits.fileTtlSeconds();
}

async function requireOwn({ request, kind, target, file }: RunExport): Promise<ExportJob> {
  const job = await requireOwnJob(request, kind.id, target);
  if (job.format !== file.format || job.compression !== file.compression) throw new ForeignExportError("The run's file is not the one its export asked for");
  return job;
}

async function requireOwnFile(run: RunExport, key: string): Promise<void> {
  await requireOwn(run);
  await requireOwnFileKey(run.request, key, destination);
}

export async function loadExport(run: RunExport): Promise<LoadedExport> {
  const { request, kind, target } = run;
  const job = await requireOwn(run);
  const resource = await kind.findResource(request.teamId, target);
  const { plan, fileStem } = await kind.load(request, target, resource);
  const fileName = `${fileStem}.${exportFileType(run.file).extension}`;
  // A retry of this step after the job started (its answer was lost) keeps the key and the
  // deadline that the first attempt recorded.
  const recordedKey = job.status === "PROCESSING" ? await getJobStore().fileKey(request.exportId) : null;
  if (recordedKey) return { plan, key: recordedKey, fileName };
  const key = destination.newKey(request.teamId, fileName, fileLifetimeSeconds(run));
  const deadlineAt = finishDeadline(kind.run.limits, new Date()).toISOString();
  await getJobStore().transition(request.exportId, "PROCESSING", { resourceName: resource.name, fileKey: key, deadlineAt });
  return { plan, key, fileName };
}

/** The kind's checkpointed work between loading and producing; each checkpoint checks the job record first. */
export async function collectForExport(run: RunExport, loaded: LoadedExport, checkpoint: Checkpoint): Promise<unknown> {
  const { request, kind, target } = run;
  if (!kind.collect) return undefined;
  return kind.collect(request, target, loaded.plan, {
    // Each checkpoint's answer carries data (a visit export's durations): only for the run's own export.
    checkpoint: (name, work) =>
      checkpoint(name, async () => {
        await requireOwn(run);
        return work();
      }),
    // No producer holds the lease yet, so the write needs none.
    progress: async (update) => void (await getJobStore().updateProgress(request.exportId, update)),
  });
}

export async function produceExport(run: RunExport, loaded: LoadedExport, collected: unknown, attempt: number): Promise<EncodedSummary> {
  const { request, kind, target } = run;
  const { exportId } = request;
  const { format, compression, contentType } = exportFileType(run.file);
  await requireOwnFile(run, loaded.key);
  const controller = new AbortController();
  const started = Date.now();
  const { limits } = kind.run;
  let lease: Awaited<ReturnType<typeof takeProducerLease>> | undefined;
  let deadline: NodeJS.Timeout | undefined;
  let progress: ReturnType<typeof createProgressReporter> | undefined;
  let rows: ProducedRows | undefined;
  try {
    lease = await takeProducerLease(getJobStore(), exportId, controller);
    const timeout = new AppError("TIMEOUT", `The export did not finish within ${limits.finishWithinMinutes} minutes`);
    deadline = setTimeout(() => controller.abort(timeout), finishWithinMs(limits));
    const report = (progress = createProgressReporter(lease.progress, exportId)).report;
    rows = await kind.produce(request, target, loaded.plan, collected, { signal: controller.signal, progress: report, databaseEncoding: format.databaseEncoding });
    const totalRows = rows.totalRows;
    const { maxRows, maxBytes } = exportLimits();
    const produced = rows;
    const encodeOptions = { maxRows, maxBytes, onProgress: ({ rows: written, bytes }: { rows: number; bytes: number }) => report({ phase: "writing", rows: written, bytes, totalRows }) };
    const file = compression
      ? encodeCompressed(compression, encodeOptions, (options) => format.encode(produced, options))
      : format.encode(produced, encodeOptions);
    await destination.deliver({ key: loaded.key, fileName: loaded.fileName, contentType, body: file.body, signal: controller.signal });
    const summary = file.summary();
    report({ phase: "uploaded", rows: summary.rows, bytes: summary.bytes });
    log("info", "export.produced", { exportId, kind: kind.id, ...run.file, attempt, ms: Date.now() - started, ...summary });
    return summary;
  } catch (error) {
    // Aborted (cancelled, timed out, taken over): the abort's reason is the failure, not the
    // error the abort caused in the query or the upload.
    const reason: unknown = controller.signal.aborted ? controller.signal.reason : error;
    const superseded = lease?.superseded ?? false;
    log("warn", "export.produce_failed", { exportId, kind: kind.id, attempt, ms: Date.now() - started, superseded, error: failureOf(reason).message });
    throw reason;
  } finally {
    clearTimeout(deadline);
    await rows?.close?.();
    await progress?.flush();
    await lease?.release();
  }
}

export async function completeExport(run: RunExport, loaded: LoadedExport, produced: EncodedSummary): Promise<void> {
  const { request, kind } = run;
  await requireOwnFile(run, loaded.key);
  const expiresAt = new Date(Date.now() + fileLifetimeSeconds(run) * 1000).toISOString();
  const file = { key: loaded.key, name: loaded.fileName, size: produced.bytes, rowCount: produced.rows, truncated: produced.truncated, expiresAt };
  // The audit row closes before the job completes, so that whoever sees the job COMPLETED (the
  // REST download answers that instant) finds its row closed as well. Should the job end
  // otherwise after all, settling it gives the row that end (closeAuditRow); every end goes
  // through settling, so that holds even if this process dies right here and a cancel ends the
  // job later.
  const recorded = await recordExportOutcome(request.exportId, "COMPLETED", produced);
  try {
    await getJobStore().transition(request.exportId, "COMPLETED", { file });
  } catch (error) {
    // A retry of this step after it completed the job: both writes are done.
    // Cancelled between the upload and now, the CONFLICT settles the export CANCELLED, which
    // deletes the file and corrects the audit row (export-failure.ts): neither may say the
    // export completed.
    if (!(isAppError(error) && error.code === "CONFLICT" && error.details?.status === "COMPLETED")) throw error;
  }
  // The job is COMPLETED now. A row another end was recorded in first (a failure settled a
  // moment ago, whose transition this one beat) is put right here: that path may not live to.
  if (!recorded) await correctToJobEnd(request.exportId, "COMPLETED", produced);
  log("info", "export.completed", { exportId: request.exportId, kind: kind.id, ...produced, expiresAt });
}

/**
 * The file the deletion run is to delete once its lifetime has passed, after checking that it
 * is the one this run completed the job with: the key in the request body could be another
 * export's.
 */
export async function fileToDelete(run: RunExport, loaded: LoadedExport): Promise<{ key: string; ttlSeconds: number }> {
  const job = await requireOwn(run);
  if (job.file?.key !== loaded.key) throw new ForeignExportError("The export's file is not the one this run wrote");
  return { key: loaded.key, ttlSeconds: fileLifetimeSeconds(run) };
}
