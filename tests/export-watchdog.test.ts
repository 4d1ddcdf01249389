/**
 * Issue 17, item 2 ("jobs stuck in PROCESSING forever") and the audit part of item 5, replayed
 * with real processes: the executor stopped past the finish timeout, a worker process killed
 * mid-step that nobody ever answers, a job record that vanished from Redis, a run that never
 * started. The watchdog (src/server/exports/watchdog.ts) takes `now`, so each test moves time
 * forward instead of waiting minutes; everything else (PostgreSQL, Redis, s3rver, the local
 * executor, the child process) is real. After each fault: the job FAILED with the reason a
 * user reads (or the audit row LOST), nothing left in s3rver, the audit row closed.
 *
 * The sweep reads every open audit row of its database, and moving time forward would settle
 * other test files' running exports: this file has a database of its own.
 */
import { type ChildProcess, spawn } from "node:child_process";
import path from "node:path";

import { afterAll, beforeAll, describe, expect, it } from "vitest";

import { migrate } from "../scripts/db-migrate";
import { type ExportHarness, startExportHarness } from "./support/export-harness";
import { TEST_DATABASE_URL, TEST_SOURCE_DATABASE_URL as PG_URL, withDatabase } from "./support/test-env";

const DATABASE_URL = withDatabase(TEST_DATABASE_URL, `${new URL(TEST_DATABASE_URL).pathname.slice(1)}_watchdog`);
const ROOT = path.resolve(import.meta.dirname, "..");
const MINUTE = 60_000;

let harness: ExportHarness;
let app: typeof import("./support/export-app");
let watchdog: typeof import("~/server/exports/watchdog");
let services: typeof import("~/server/services");
let db: typeof import("~/server/db").db;
const children: ChildProcess[] = [];

beforeAll(async () => {
  await migrate(DATABASE_URL);
  harness = await startExportHarness({ env: { DATABASE_URL, EXPORT_FILE_TTL_SECONDS: "600" } });
  app = await import("./support/export-app");
  watchdog = await import("~/server/exports/watchdog");
  services = await import("~/server/services");
  ({ db } = await import("~/server/db"));
}, 120_000);

afterAll(async () => {
  for (const child of children) child.kill("SIGKILL");
  await harness?.close();
});

const at = (ms: number) => new Date(ms);

const audit = (exportId: string) => db.exportAuditEvent.findUniqueOrThrow({ where: { exportId } });
const state = async (exportId: string) => (await services.getJobStore().readStates([exportId]))[0];

/** A job and its audit row exactly as the start path leaves them, with no run started. */
async function exportWithoutRun(team: { id: string; user: { id: string } }, metricId: string) {
  const { recordExportStarted } = await import("~/server/audit/export-audit");
  const exportId = crypto.randomUUID();
  const { job } = await services.getJobStore().create({ id: exportId, type: "metric", resourceId: metricId, teamId: team.id, userId: team.user.id });
  await recordExportStarted({ exportId, teamId: team.id, userId: team.user.id, kind: "metric", resourceId: metricId, channel: "REST" });
  return { job, event: { name: "export/metric.requested", data: { exportId, teamId: team.id, userId: team.user.id, metricId } } };
}

/** The export's steps in a worker process of their own (tests/support/run-export-in-child.ts), to be killed. */
function startWorker(event: unknown) {
  const child = spawn(process.execPath, ["--import", "tsx", "tests/support/run-export-in-child.ts"], {
    cwd: ROOT,
    env: { ...process.env, EXPORT_EVENT: JSON.stringify(event) },
    stdio: ["ignore", "pipe", "pipe"],
  });
  children.push(child);
  return child;
}

/** SIGKILL, as a crash: nothing in the worker gets to clean up. */
async function killWorker(child: ReturnType<typeof spawn>) {
  const exited = new Promise((resolve) => child.once("exit", resolve));
  child.kill("SIGKILL");
  await exited;
}

describe("the watchdog settles every export that stopped moving", () => {
  it("settles an export whose executor was down past its finish timeout: FAILED, file deleted, audit closed; the resumed run changes nothing", async () => {
    const team = await app.teamWithSource("POSTGRES", { url: PG_URL });
    const metric = await team.metric("SELECT g FROM generate_series(1, 500) g, (SELECT pg_sleep(1.5)) AS pause");
    const { exportId } = await team.trpc.metrics.export({ teamId: team.id, metricId: metric.id });
    await app.waitFor(async () => (await state(exportId))?.heartbeatAt != null, 15_000);
    await harness.executor.close();
    // The step finishes its upload in the app, but its answer reaches no one: the job stays PROCESSING.
    await app.waitFor(async () => (await harness.exportObjects(team.id)).length === 1 && (await state(exportId))?.heartbeatAt === null, 15_000);
    const stuck = (await state(exportId))!.job;
    expect(stuck.status).toBe("PROCESSING");

    const deadline = Date.parse(stuck.startedAt!) + 5 * MINUTE + 1 * MINUTE;
    // Until its deadline the run may just be waiting in its retry back-off: healthy.
    expect((await watchdog.watchExports(at(deadline - 1000))).settled).not.toContain(exportId);
    expect((await state(exportId))?.job.status).toBe("PROCESSING");

    expect((await watchdog.watchExports(at(deadline + 1000))).settled).toContain(exportId);
    expect((await state(exportId))?.job).toMatchObject({ status: "FAILED", errorCode: "TIMEOUT", error: "The export stopped responding; please start it again" });
    expect(await harness.exportObjects(team.id)).toEqual([]);
    expect(harness.pendingUploads()).toEqual([]);
    expect(await audit(exportId)).toMatchObject({ outcome: "FAILED", error: "The export stopped responding; please start it again" });

    // The engine comes back and drives the run on: its step finds the job ended and writes nothing.
    await harness.restartExecutor();
    const run = () => harness.executor.runs().find((r) => r.event.data.exportId === exportId && r.functionId.endsWith("export-metric-data"));
    await app.waitFor(async () => ["Failed", "Completed", "Cancelled"].includes(run()?.status ?? ""), 20_000);
    expect(run()?.status).toBe("Failed");
    expect((await state(exportId))?.job).toMatchObject({ status: "FAILED", error: "The export stopped responding; please start it again" });
    expect(await harness.exportObjects(team.id)).toEqual([]);
  });

  it("stops a step still uploading when it settles its job: the multipart upload is aborted, no object is left", async () => {
    const team = await app.teamWithSource("POSTGRES", { url: PG_URL });
    // About 20 MB with a pause every 1,000 rows: the multipart upload is open for seconds.
    const metric = await team.metric("SELECT g, repeat('x', 1000) AS pad, CASE WHEN g % 1000 = 0 THEN pg_sleep(0.3) END AS pause FROM generate_series(1, 20000) g");
    const { exportId } = await team.trpc.metrics.export({ teamId: team.id, metricId: metric.id });
    await app.waitFor(async () => harness.pendingUploads().length === 1, 30_000);
    const running = (await state(exportId))!.job;
    const deadline = Date.parse(running.startedAt!) + 5 * MINUTE + 1 * MINUTE;

    expect((await watchdog.watchExports(at(deadline + 1000))).settled).toContain(exportId);
    await app.waitFor(async () => harness.pendingUploads().length === 0, 10_000);
    expect(await harness.exportObjects(team.id)).toEqual([]);
    expect((await state(exportId))?.job).toMatchObject({ status: "FAILED", error: "The export stopped responding; please start it again" });
    expect(await audit(exportId)).toMatchObject({ outcome: "FAILED" });
  });

  it("keeps a producing step healthy while it heartbeats, even before its query returns a row", async () => {
    const team = await app.teamWithSource("POSTGRES", { url: PG_URL });
    const metric = await team.metric("SELECT g FROM generate_series(1, 3) g, (SELECT pg_sleep(8)) AS pause");
    const { exportId } = await team.trpc.metrics.export({ teamId: team.id, metricId: metric.id });
    await app.waitFor(async () => (await state(exportId))?.heartbeatAt != null, 15_000);
    const first = (await state(exportId))!.heartbeatAt!;
    await app.waitFor(async () => ((await state(exportId))?.heartbeatAt ?? 0) > first, 5_000);
    const beating = (await state(exportId))!;
    expect(beating.job.progress?.rows ?? 0).toBe(0);

    const { runLimits } = await import("~/server/exports/kinds");
    const report = await watchdog.watchExports(at(beating.heartbeatAt! + runLimits.metric.silentForMs - 1000));
    expect(report.settled).not.toContain(exportId);
    expect((await state(exportId))?.job.status).toBe("PROCESSING");
    await team.trpc.exports.cancel({ teamId: team.id, exportId });
  });

  it("settles an export whose worker was killed mid-step and never answered, once its heartbeat has been silent past the bound", async () => {
    const team = await app.teamWithSource("POSTGRES", { url: PG_URL });
    const metric = await team.metric("SELECT g FROM generate_series(1, 3) g, (SELECT pg_sleep(10)) AS pause");
    const { job, event } = await exportWithoutRun(team, metric.id);
    const child = startWorker(event);
    // Killed while its query runs, before any part is uploaded (the next test kills one mid-upload).
    await app.waitFor(async () => (await state(job.id))?.heartbeatAt != null, 30_000);
    await killWorker(child);
    const left = (await state(job.id))!;
    expect(left.job.status).toBe("PROCESSING");
    const lastBeat = left.heartbeatAt!;

    const { runLimits } = await import("~/server/exports/kinds");
    // The engine could still retry the step within its back-off: not yet.
    expect((await watchdog.watchExports(at(lastBeat + runLimits.metric.silentForMs - 1000))).settled).not.toContain(job.id);
    expect((await watchdog.watchExports(at(lastBeat + runLimits.metric.silentForMs + 1000))).settled).toContain(job.id);
    expect((await state(job.id))?.job).toMatchObject({ status: "FAILED", errorCode: "TIMEOUT", error: "The export stopped responding; please start it again" });
    expect(await audit(job.id)).toMatchObject({ outcome: "FAILED", error: "The export stopped responding; please start it again" });
    expect(await harness.exportObjects(team.id)).toEqual([]);
    expect(harness.pendingUploads()).toEqual([]);
  });

  it("aborts the multipart upload of a worker killed mid-upload when it settles the job, leaving nothing in storage", async () => {
    const team = await app.teamWithSource("POSTGRES", { url: PG_URL });
    // Over 5 MB at once (so parts are uploaded), then a pause that keeps the upload open.
    const metric = await team.metric("SELECT repeat('x', 1000) AS filler FROM generate_series(1, 12000) UNION ALL SELECT pg_sleep(30)::text");
    const { job, event } = await exportWithoutRun(team, metric.id);
    const child = startWorker(event);
    // Killed once the app has recorded the upload (a process killed between the store's answer and
    // that record leaves it to the bucket's AbortIncompleteMultipartUpload rule).
    const { getOpenUploads } = await import("~/server/services");
    await app.waitFor(async () => harness.pendingUploads().length === 1 && (await getOpenUploads().startedBefore(new Date(Date.now() + 60_000), 1000)).some((u) => u.key.startsWith(`exports/${team.id}/`)), 30_000);
    await killWorker(child);
    const lastBeat = (await state(job.id))!.heartbeatAt!;

    const { runLimits } = await import("~/server/exports/kinds");
    expect((await watchdog.watchExports(at(lastBeat + runLimits.metric.silentForMs + 1000))).settled).toContain(job.id);
    expect((await state(job.id))?.job.status).toBe("FAILED");
    expect(harness.pendingUploads()).toEqual([]);
    expect(await harness.exportObjects(team.id)).toEqual([]);
  });

  it("ends the audit row LOST when the job record vanished mid-run, after the run stopped and left nothing", async () => {
    const team = await app.teamWithSource("POSTGRES", { url: PG_URL });
    const marker = `vanished_${Date.now()}`;
    const metric = await team.metric(`SELECT g, '${marker}' AS marker FROM generate_series(1, 3) g, (SELECT pg_sleep(20)) AS pause`);
    const { exportId } = await team.trpc.metrics.export({ teamId: team.id, metricId: metric.id });
    await app.waitFor(async () => (await state(exportId))?.heartbeatAt != null, 15_000);
    const { jobKey } = await import("~/server/exports/job/job-store");
    // As if its TTL ran out: the record expires while the step is working.
    await services.getRedis().pexpire(jobKey(exportId), 1);
    await app.waitFor(async () => !(await app.activeQueries(marker)), 15_000);
    expect(await state(exportId)).toBeNull();
    const started = await audit(exportId);
    expect(started.outcome).toBe("STARTED");

    expect((await watchdog.watchExports(at(started.createdAt.getTime() + watchdog.LOST_AFTER_MS - 1000))).lost).not.toContain(exportId);
    expect((await watchdog.watchExports(at(started.createdAt.getTime() + watchdog.LOST_AFTER_MS + 1000))).lost).toContain(exportId);
    expect(await audit(exportId)).toMatchObject({ outcome: "LOST", error: watchdog.LOST_REASON });
    expect(await harness.exportObjects(team.id)).toEqual([]);
    expect(harness.pendingUploads()).toEqual([]);
  });

  it("fails a PENDING export whose run never started once its start bound has passed", async () => {
    const team = await app.teamWithSource("POSTGRES", { url: PG_URL });
    const metric = await team.metric("SELECT 1 AS one");
    // Its event was lost on the way: no run will ever pick it up.
    const { job } = await exportWithoutRun(team, metric.id);
    const { START_WITHIN_MS } = await import("~/server/exports/job/job-store");
    const created = Date.parse(job.createdAt);

    expect((await watchdog.watchExports(at(created + START_WITHIN_MS - 1000))).settled).not.toContain(job.id);
    expect((await state(job.id))?.job.status).toBe("PENDING");
    expect((await watchdog.watchExports(at(created + START_WITHIN_MS + 1000))).settled).toContain(job.id);
    expect((await state(job.id))?.job).toMatchObject({ status: "FAILED", errorCode: "TIMEOUT", error: "The export stopped responding; please start it again" });
    expect(await audit(job.id)).toMatchObject({ outcome: "FAILED" });
  });

  it("answers a status or list read of a job past its deadline with FAILED at once, and the sweep then closes its audit row", async () => {
    const team = await app.teamWithSource("POSTGRES", { url: PG_URL });
    const metric = await team.metric("SELECT 1 AS one");
    const { job } = await exportWithoutRun(team, metric.id);
    const { jobKey } = await import("~/server/exports/job/job-store");
    // As if it had been created 31 minutes ago: its start deadline has passed on the real clock.
    await services.getRedis().hset(jobKey(job.id), { deadlineAt: new Date(Date.now() - MINUTE).toISOString() });

    const read = await team.trpc.exports.get({ teamId: team.id, exportId: job.id });
    expect(read).toMatchObject({ status: "FAILED", errorCode: "TIMEOUT", error: "The export stopped responding; please start it again" });
    const listed = await team.trpc.exports.list({ teamId: team.id, limit: 10 });
    expect(listed.items.find((j) => j.id === job.id)?.status).toBe("FAILED");
    expect((await audit(job.id)).outcome).toBe("STARTED");

    expect((await watchdog.watchExports()).closed).toContain(job.id);
    expect(await audit(job.id)).toMatchObject({ outcome: "FAILED", error: "The export stopped responding; please start it again" });
  });

  it("closes the audit row of a job that ended without recording it", async () => {
    const team = await app.teamWithSource("POSTGRES", { url: PG_URL });
    const metric = await team.metric("SELECT 1 AS one");
    const { job } = await exportWithoutRun(team, metric.id);
    // What start-export does when the event cannot be sent: the job fails, the audit row is left open.
    await services.getJobStore().transition(job.id, "FAILED", { error: "The export could not be queued; please try again", errorCode: "UPSTREAM_UNAVAILABLE" });
    expect((await watchdog.watchExports()).closed).toContain(job.id);
    expect(await audit(job.id)).toMatchObject({ outcome: "FAILED", error: "The export could not be queued; please try again" });
    // A second sweep finds nothing more to do.
    const again = await watchdog.watchExports();
    expect([...again.closed, ...again.settled, ...again.lost]).not.toContain(job.id);
  });
});
