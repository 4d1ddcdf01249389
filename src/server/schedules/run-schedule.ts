/**
 * One run of a schedule, as the engine drives it (src/server/jobs/functions/run-schedule.ts):
 *
 *   1. begin    record the run for its slot, and start an ordinary export, in the name of the
 *               schedule's owner, whose file lives the schedule's retention
 *   2. watch    read the export's job until it has ended
 *   3. settle   record the run's outcome and figures; a failure counts towards pausing, and the
 *               fifth in a row pauses the schedule
 *   4. deliver  each destination in turn, each outcome recorded
 *
 * Every step is idempotent: the run is unique per slot, the export's request id is the run's
 * id, and each outcome is written once.
 */
import { getEnv } from "~/env";
import { recordScheduleChange } from "~/server/audit/schedule-audit";
import { db } from "~/server/db";
import { AppError, failureOf, isAppError } from "~/server/errors";
import type { ExportQueue } from "~/server/exports/export-queue";
import { exportFileType, fileOptionsSchema } from "~/server/exports/formats/file-options";
import { liveFile, terminalStatuses } from "~/server/exports/job/export-job";
import { kindDefinition } from "~/server/exports/kinds";
import { startExportOf } from "~/server/exports/start-export";
import { log } from "~/server/log";
import { getJobStore, getRedis, getStorage } from "~/server/services";
import { openJson } from "~/server/vault";

import { type DeliveredFile, type DeliveryProgress, destinationOf, type RunReport } from "./destinations";
import { scheduledKindInput } from "./schedule-input";
import { storedDestinations } from "./schedule-view";

/** Failed runs in a row after which a schedule pauses itself. */
const PAUSE_AFTER_FAILURES = 5;

export type BegunRun = { runId: string; exportId: string | null };

/** Ends a run that never got an export as failed, counted towards pausing. */
async function failRun(run: { id: string; scheduleId: string }, error: string): Promise<void> {
  const { count } = await db.scheduleRun.updateMany({ where: { id: run.id, status: "RUNNING" }, data: { status: "FAILED", error: error.slice(0, 2000), finishedAt: new Date() } });
  if (count === 1) await countOutcome(run.scheduleId, error);
}

/**
 * Records the run of the slot and starts its export; null when the schedule is gone. A start
 * the export refuses (its resource gone, its owner no longer a member) fails the run; one that
 * may pass (the engine or a rate limit) is thrown, for the engine or the caller to retry.
 */
export async function beginScheduledRun(queue: ExportQueue, scheduleId: string, dueAt: Date): Promise<BegunRun | null> {
  const schedule = await db.schedule.findUnique({ where: { id: scheduleId } });
  if (!schedule) return null;
  const run = await db.scheduleRun.upsert({ where: { scheduleId_dueAt: { scheduleId, dueAt } }, create: { scheduleId, dueAt }, update: {} });
  if (run.exportId || run.status !== "RUNNING") return { runId: run.id, exportId: run.exportId };
  try {
    const owner = await db.membership.findUnique({ where: { teamId_userId: { teamId: schedule.teamId, userId: schedule.ownerId } } });
    if (!owner) throw new AppError("FORBIDDEN", "The schedule's owner is no longer a member of the team; an admin can take the schedule over by recreating it");
    const input = scheduledKindInput(schedule.exportInput, schedule.metricVersion);
    const kind = kindDefinition(input.kind);
    const requester = { userId: schedule.ownerId, teamId: schedule.teamId, channel: "SCHEDULE" as const, requestId: run.id, fileTtlSeconds: schedule.retentionDays * 86_400 };
    const file = fileOptionsSchema.parse({ format: schedule.format, compression: schedule.compression ?? undefined });
    const job = await startExportOf(queue, requester, kind, kind.target(input as never), file);
    await db.scheduleRun.update({ where: { id: run.id }, data: { exportId: job.id } });
    log("info", "schedule.run_started", { scheduleId, runId: run.id, exportId: job.id, dueAt: dueAt.toISOString() });
    return { runId: run.id, exportId: job.id };
  } catch (error) {
    const failure = failureOf(error);
    if (failure.retry) throw error;
    await failRun(run, failure.message);
    log("warn", "schedule.run_refused", { scheduleId, runId: run.id, error: failure.message });
    return { runId: run.id, exportId: null };
  }
}

/** Whether the run's export has ended (or its job record is gone, which ends it too). */
export async function exportEnded(exportId: string): Promise<boolean> {
  const job = await getJobStore().get(exportId);
  return !job || terminalStatuses.includes(job.status);
}

/** A scheduled run has no request to take an origin from: AUTH_URL, the app's address for sign-in, when set, else APP_URL. */
function downloadUrl(teamId: string, exportId: string): string {
  const env = getEnv();
  return new URL(`/api/teams/${teamId}/export-jobs/${exportId}?download=true`, env.AUTH_URL ?? env.APP_URL).toString();
}

/**
 * Records how the run ended, from its export's job, and counts it towards pausing; the report
 * its destinations get. A run that already ended (a retried step) keeps its outcome.
 */
export async function settleScheduledRun(runId: string): Promise<RunReport | null> {
  const run = await db.scheduleRun.findUnique({ where: { id: runId }, include: { schedule: true } });
  if (!run) return null;
  const { schedule } = run;
  const job = run.exportId ? await getJobStore().get(run.exportId) : null;
  if (run.status === "RUNNING") {
    const completed = job?.status === "COMPLETED" && job.file !== undefined;
    const error = completed ? null : (job?.error ?? (job ? `The export was ${job.status.toLowerCase()}` : "The export's record is gone"));
    const { count } = await db.scheduleRun.updateMany({
      where: { id: runId, status: "RUNNING" },
      data: completed
        ? { status: "COMPLETED", rows: job.file!.rowCount, bytes: BigInt(job.file!.size), truncated: job.file!.truncated, finishedAt: new Date() }
        : { status: "FAILED", error: error!.slice(0, 2000), finishedAt: new Date() },
    });
    if (count === 1) await countOutcome(schedule.id, completed ? null : error!);
  }
  const ended = await db.scheduleRun.findUniqueOrThrow({ where: { id: runId } });
  const completed = ended.status === "COMPLETED";
  // The run that paused the schedule is the failure that brought the count to the limit.
  const current = await db.schedule.findUniqueOrThrow({ where: { id: schedule.id }, select: { pausedAt: true, pauseReason: true, consecutiveFailures: true } });
  const pausedByThisRun = !completed && current.pausedAt !== null && current.consecutiveFailures === PAUSE_AFTER_FAILURES;
  return {
    event: completed ? "export.completed" : "export.failed",
    scheduleId: schedule.id,
    exportId: ended.exportId,
    teamId: schedule.teamId,
    status: completed ? "COMPLETED" : "FAILED",
    fileName: job?.file?.name ?? null,
    format: schedule.format,
    rowCount: ended.rows,
    fileSize: ended.bytes === null ? null : Number(ended.bytes),
    truncated: ended.truncated,
    downloadUrl: completed && ended.exportId ? downloadUrl(schedule.teamId, ended.exportId) : null,
    error: ended.error,
    schedulePaused: pausedByThisRun,
    pauseReason: pausedByThisRun ? current.pauseReason : null,
  };
}

/** A success clears the count of failures; the fifth failure in a row pauses the schedule. */
async function countOutcome(scheduleId: string, error: string | null): Promise<void> {
  if (error === null) {
    await db.schedule.update({ where: { id: scheduleId }, data: { consecutiveFailures: 0 } });
    return;
  }
  const { consecutiveFailures } = await db.schedule.update({ where: { id: scheduleId }, data: { consecutiveFailures: { increment: 1 } } });
  if (consecutiveFailures < PAUSE_AFTER_FAILURES) return;
  const pauseReason = `Paused after ${consecutiveFailures} failed runs in a row; the last: ${error}`.slice(0, 2000);
  const { count } = await db.schedule.updateMany({ where: { id: scheduleId, pausedAt: null }, data: { pausedAt: new Date(), pauseReason, nextRunAt: null } });
  if (count === 0) return;
  const schedule = await db.schedule.findUniqueOrThrow({ where: { id: scheduleId }, select: { id: true, name: true, teamId: true } });
  await recordScheduleChange({ teamId: schedule.teamId, schedule, userId: null, change: "AUTO_PAUSED", reason: pauseReason });
  log("warn", "schedule.paused", { scheduleId, consecutiveFailures });
}

/** How many destinations the run's schedule has, for the delivery steps. */
export async function destinationCount(runId: string): Promise<number> {
  const run = await db.scheduleRun.findUnique({ where: { id: runId }, select: { schedule: { select: { destinations: true } } } });
  return run ? storedDestinations(run.schedule.destinations).length : 0;
}

/**
 * Delivers the run's report to its schedule's destination `index` and records the outcome. A
 * failure is thrown for the engine to retry with backoff, except on the `last` attempt or when
 * no retry can help, when it is recorded as failed with its reason; the run's file and record
 * stay either way.
 */
export async function deliverScheduledRun(runId: string, index: number, report: RunReport, attempt: { tries: number; last: boolean }): Promise<void> {
  const existing = await db.scheduleDelivery.findUnique({ where: { runId_destinationIndex: { runId, destinationIndex: index } } });
  if (existing) return;
  const run = await db.scheduleRun.findUnique({
    where: { id: runId },
    select: { exportId: true, schedule: { select: { destinations: true, sealedSigningSecret: true, format: true, compression: true } } },
  });
  const stored = run ? storedDestinations(run.schedule.destinations)[index] : undefined;
  if (!run || !stored) return;
  const destination = destinationOf(stored.type);
  const record = (status: "DELIVERED" | "FAILED", reason: string | null) =>
    db.scheduleDelivery.create({ data: { runId, destinationIndex: index, destination: stored.type, status, reason, tries: attempt.tries } });
  try {
    if (!destination) throw new Error(`No destination of type ${stored.type}`);
    const signingSecret = run.schedule.sealedSigningSecret ? (openJson(run.schedule.sealedSigningSecret, getEnv().VAULT_KEY) as string) : null;
    const file = report.status === "COMPLETED" && run.exportId ? await deliveredFile(run.exportId, run.schedule) : null;
    // 30 s for a message, plus time to carry the file at a slow 1 MB/s for one that copies it.
    const timeoutMs = 30_000 + Math.ceil((file?.size ?? 0) / 1000);
    await destination.deliver({ settings: stored.settings, signingSecret, report, file, progress: deliveryProgress(runId, index), signal: AbortSignal.timeout(timeoutMs) });
    await record("DELIVERED", null);
  } catch (error) {
    const failure = failureOf(error);
    // Our own refusal that no retry can pass (an address the network policy refuses) is recorded
    // at once; anything else, a timeout included, may pass next time.
    const last = attempt.last || (isAppError(error) && !failure.retry);
    log("warn", "schedule.delivery_failed", { runId, destination: stored.type, tries: attempt.tries, last, error: failure.message });
    if (!last) throw error;
    await record("FAILED", failure.message.slice(0, 2000));
  }
}

/** Kept past the longest run of retries (Inngest's back-off over 3 retries is minutes), then let go. */
const PROGRESS_TTL_SECONDS = 2 * 86_400;

/** What the attempts at one delivery have done, in Redis, so that a retry in any worker sees it. */
function deliveryProgress(runId: string, index: number): DeliveryProgress {
  const key = `schedule_delivery:${runId}:${index}:done`;
  const redis = getRedis();
  return {
    done: async (part) => (await redis.sismember(key, part)) === 1,
    async markDone(part) {
      await redis.sadd(key, part);
      await redis.expire(key, PROGRESS_TTL_SECONDS);
    },
  };
}

/** The run's file while it is still in storage, opened only by a destination that needs its bytes. */
async function deliveredFile(exportId: string, schedule: { format: string; compression: string | null }): Promise<DeliveredFile | null> {
  const job = await getJobStore().get(exportId);
  const file = job ? liveFile(job) : null;
  if (!file) return null;
  const { contentType } = exportFileType(fileOptionsSchema.parse({ format: schedule.format, compression: schedule.compression ?? undefined }));
  return { name: file.name, size: file.size, contentType, open: async (signal) => (await getStorage().openObject(file.key, signal)).body };
}

/** A run whose engine run failed outside its steps: it ends failed rather than stay RUNNING. */
export async function abandonScheduledRun(scheduleId: string, dueAt: Date, error: string): Promise<void> {
  const run = await db.scheduleRun.findUnique({ where: { scheduleId_dueAt: { scheduleId, dueAt } } });
  if (run) await failRun(run, error);
}
