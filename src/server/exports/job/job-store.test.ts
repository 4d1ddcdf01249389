import { randomUUID } from "node:crypto";

import { afterAll, describe, expect, it } from "vitest";

import { TEST_REDIS_URL } from "../../../../tests/support/test-env";
import { AppError } from "~/server/errors";
import { closeRedis, createRedis } from "~/server/redis";

import { type ExportFile, stalledExportError } from "./export-job";
import { createProgressReporter, jobKey, JobStore, START_WITHIN_MS, teamJobsKey, userJobsKey } from "./job-store";

const redis = createRedis({ redisUrl: TEST_REDIS_URL });
const store = new JobStore(redis, 3600);
const run = randomUUID();
const teamId = `team-${run}`;
const userId = `user-${run}`;
const jobIds = new Set<string>();
const indexKeys = new Set<string>([teamJobsKey(teamId), userJobsKey(userId)]);

function newJob(over: Partial<{ teamId: string; userId: string; resourceName: string }> = {}) {
  const job = { id: randomUUID(), type: "metric" as const, resourceId: "metric-1", teamId, userId, ...over };
  jobIds.add(job.id);
  indexKeys.add(teamJobsKey(job.teamId)).add(userJobsKey(job.userId));
  return job;
}

const file = (over: Partial<ExportFile> = {}): ExportFile => ({
  key: `exports/${teamId}/${"0".repeat(32)}/y.csv`,
  name: "y.csv",
  size: 10,
  rowCount: 2,
  truncated: false,
  expiresAt: new Date(Date.now() + 60_000).toISOString(),
  ...over,
});

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

afterAll(async () => {
  await redis.del(...[...jobIds].map(jobKey), ...indexKeys);
  await closeRedis(redis);
});

describe("job store (real Redis)", () => {
  it("creates a PENDING job as a hash an operator can read, once per id", async () => {
    const input = newJob({ resourceName: "Revenue" });
    const first = await store.create(input);
    expect(first).toMatchObject({ created: true, job: { id: input.id, status: "PENDING", type: "metric", teamId, userId, resourceName: "Revenue" } });
    expect(first.job.createdAt).toBe(first.job.updatedAt);
    const again = await store.create(input);
    expect(again).toMatchObject({ created: false, job: { id: input.id, createdAt: first.job.createdAt } });

    expect(await redis.hget(jobKey(input.id), "status")).toBe("PENDING");
    expect(await redis.ttl(jobKey(input.id))).toBeGreaterThan(3500);
    expect(await redis.zscore(teamJobsKey(teamId), input.id)).toBe(Date.parse(first.job.createdAt));
    expect(await redis.zscore(userJobsKey(userId), input.id)).toBe(Date.parse(first.job.createdAt));
  });

  it("returns text fields exactly as stored, even when they look like JSON", async () => {
    for (const resourceName of ["1e5", "null", "true", '"quoted"', "[1,2]", "0012", "12345678901234567890", "naïve 📈 report", "3:12:30 report", "line 1\nline 2", "~tilde"]) {
      const input = newJob({ resourceName });
      await store.create(input);
      expect((await store.get(input.id))?.resourceName).toBe(resourceName);
    }
  });

  it("lists a team's and a user's jobs newest first, with paging", async () => {
    const t = `team-${randomUUID()}`;
    const u = `user-${randomUUID()}`;
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) {
      const job = newJob({ teamId: t, userId: u });
      ids.push(job.id);
      await store.create(job);
      await sleep(3);
    }
    const first = await store.list({ teamId: t }, { limit: 2 });
    expect(first.items.map((j) => j.id)).toEqual([ids[4], ids[3]]);
    expect(first).toMatchObject({ total: 5, nextOffset: 2 });
    const second = await store.list({ teamId: t }, { limit: 2, offset: 2 });
    expect(second.items.map((j) => j.id)).toEqual([ids[2], ids[1]]);
    const last = await store.list({ teamId: t }, { limit: 2, offset: 4 });
    expect(last.items.map((j) => j.id)).toEqual([ids[0]]);
    expect(last.nextOffset).toBeNull();
    expect((await store.list({ userId: u }, { limit: 10 })).items.map((j) => j.id)).toEqual([...ids].reverse());
    expect(await store.list({ teamId: `team-${randomUUID()}` }, { limit: 10 })).toEqual({ items: [], total: 0, nextOffset: null });
  });

  it("drops ids whose record is gone and tops the page up from further down", async () => {
    const t = `team-${randomUUID()}`;
    const ids: string[] = [];
    for (let i = 0; i < 4; i++) {
      const job = newJob({ teamId: t });
      ids.push(job.id);
      await store.create(job);
      await sleep(3);
    }
    // Newest first: ids[3], ids[2], ids[1], ids[0]. The two newest records vanish.
    await redis.del(jobKey(ids[3]!), jobKey(ids[2]!));
    const page = await store.list({ teamId: t }, { limit: 2 });
    expect(page.items.map((j) => j.id)).toEqual([ids[1], ids[0]]);
    expect(page).toMatchObject({ total: 2, nextOffset: null });
    expect(await redis.zrange(teamJobsKey(t), 0, -1)).toHaveLength(2);
  });

  it("expires records after the TTL and never lists an expired id", async () => {
    const t = `team-${randomUUID()}`;
    const shortLived = new JobStore(redis, 1);
    const job = newJob({ teamId: t });
    await shortLived.create(job);
    expect(await redis.ttl(jobKey(job.id))).toBeLessThanOrEqual(1);
    expect((await shortLived.list({ teamId: t }, { limit: 10 })).items).toHaveLength(1);
    await sleep(2100);
    expect(await shortLived.get(job.id)).toBeNull();
    expect(await redis.exists(jobKey(job.id))).toBe(0);
    const listed = await shortLived.list({ teamId: t }, { limit: 10 });
    expect(listed).toEqual({ items: [], total: 0, nextOffset: null });
    expect(await redis.zcard(teamJobsKey(t))).toBe(0);
  });

  it("allows only legal status moves, refusing the others with the current status", async () => {
    const job = newJob();
    await store.create(job);
    const early = await store.transition(job.id, "COMPLETED", { file: file() }).catch((e: unknown) => e);
    expect(early).toMatchObject({ code: "CONFLICT", details: { status: "PENDING" } });

    await store.transition(job.id, "PROCESSING", { fileKey: "exports/x/y.csv", resourceName: "Renamed" });
    expect(await store.fileKey(job.id)).toBe("exports/x/y.csv");
    const processing = await store.get(job.id);
    expect(processing).toMatchObject({ status: "PROCESSING", resourceName: "Renamed" });
    expect(processing?.startedAt).toBeDefined();
    expect(processing?.file).toBeUndefined();

    await expect(store.transition(job.id, "PROCESSING")).rejects.toMatchObject({ code: "CONFLICT", details: { status: "PROCESSING" } });
    await expect(store.transition(job.id, "COMPLETED")).rejects.toThrow(/completes with its file/);

    const done = file({ truncated: true, size: 1234, rowCount: 1_000_000 });
    await store.transition(job.id, "COMPLETED", { file: done });
    const completed = await store.get(job.id);
    expect(completed).toMatchObject({ status: "COMPLETED", file: done });
    expect(completed?.completedAt).toBeDefined();
    expect(await redis.hget(jobKey(job.id), "file_truncated")).toBe(true);

    const late = await store.transition(job.id, "CANCELLED").catch((e: unknown) => e);
    expect(late).toBeInstanceOf(AppError);
    expect(late).toMatchObject({ code: "CONFLICT", message: "The export is already completed", details: { status: "COMPLETED" } });
    await expect(store.transition(randomUUID(), "PROCESSING")).rejects.toMatchObject({ code: "NOT_FOUND" });

    await store.markFileDeleted(job.id);
    expect((await store.get(job.id))?.file?.deletedAt).toBeDefined();
  });

  it("fails a job straight from PENDING, keeping its error", async () => {
    const job = newJob();
    await store.create(job);
    await store.transition(job.id, "FAILED", { error: "The export could not be queued", errorCode: "UPSTREAM_UNAVAILABLE" });
    expect(await store.get(job.id)).toMatchObject({ status: "FAILED", error: "The export could not be queued", errorCode: "UPSTREAM_UNAVAILABLE" });
  });

  it("lets exactly one of a racing cancel and complete win", async () => {
    const winners: string[] = [];
    for (let i = 0; i < 25; i++) {
      const job = newJob();
      await store.create(job);
      await store.transition(job.id, "PROCESSING");
      const moves = i % 2 ? (["CANCELLED", "COMPLETED"] as const) : (["COMPLETED", "CANCELLED"] as const);
      const results = await Promise.allSettled(moves.map((to) => store.transition(job.id, to, to === "COMPLETED" ? { file: file() } : { error: "Cancelled" })));
      const won = results.flatMap((r, k) => (r.status === "fulfilled" ? [moves[k]] : []));
      expect(won).toHaveLength(1);
      const lost = results.find((r) => r.status === "rejected") as PromiseRejectedResult;
      expect(lost.reason).toMatchObject({ code: "CONFLICT", details: { status: won[0] } });
      const final = await store.get(job.id);
      expect(final?.status).toBe(won[0]);
      // The loser wrote nothing: a cancelled job has no file, a completed one no error.
      if (final?.status === "CANCELLED") expect(final.file).toBeUndefined();
      else expect(final?.error).toBeUndefined();
      winners.push(won[0]!);
    }
    expect(winners.length).toBe(25);
  });

  it("applies progress only while PROCESSING, and never recreates a deleted job", async () => {
    const job = newJob();
    await store.create(job);
    expect(await store.updateProgress(job.id, { phase: "querying", rows: 1, bytes: 1 })).toBe(false);
    await store.transition(job.id, "PROCESSING");
    expect(await store.updateProgress(job.id, { phase: "querying", rows: 10, totalRows: 50, bytes: 100 })).toBe(true);
    expect((await store.get(job.id))?.progress).toEqual({ phase: "querying", rows: 10, totalRows: 50, bytes: 100 });
    expect(await redis.hget(jobKey(job.id), "progress_rows")).toBe(10);
    // A phase without a known total clears the old one rather than leaving it stale.
    expect(await store.updateProgress(job.id, { phase: "uploaded", rows: 20, bytes: 200 })).toBe(true);
    expect((await store.get(job.id))?.progress).toEqual({ phase: "uploaded", rows: 20, bytes: 200 });

    await store.transition(job.id, "CANCELLED");
    expect(await store.updateProgress(job.id, { phase: "uploaded", rows: 30, bytes: 300 })).toBe(false);
    expect(await store.get(job.id)).toMatchObject({ status: "CANCELLED", progress: { rows: 20, bytes: 200 } });

    await store.delete(job.id);
    expect(await store.updateProgress(job.id, { phase: "uploaded", rows: 40, bytes: 400 })).toBe(false);
    expect(await redis.exists(jobKey(job.id))).toBe(0);
  });

  it("never records progress backwards: an earlier phase, or fewer rows in the same phase, is refused", async () => {
    const job = newJob();
    await store.create(job);
    await store.transition(job.id, "PROCESSING");
    expect(await store.updateProgress(job.id, { phase: "writing", rows: 500, bytes: 5000 })).toBe(true);
    expect(await store.updateProgress(job.id, { phase: "writing", rows: 499, bytes: 9999 })).toBe(false);
    expect(await store.updateProgress(job.id, { phase: "querying", rows: 0, bytes: 0 })).toBe(false);
    expect((await store.get(job.id))?.progress).toEqual({ phase: "writing", rows: 500, bytes: 5000 });
    expect(await store.updateProgress(job.id, { phase: "writing", rows: 500, bytes: 5001 })).toBe(true);
    // A later phase counts from zero again (durations fetched, then rows written).
    expect(await store.updateProgress(job.id, { phase: "uploaded", rows: 10, bytes: 10 })).toBe(true);
    expect((await store.get(job.id))?.progress).toEqual({ phase: "uploaded", rows: 10, bytes: 10 });
  });

  it("gives the producer lease to the newest attempt, tells the old one, and takes progress only from the holder", async () => {
    const job = newJob();
    await store.create(job);
    expect(await store.acquireLease(job.id, "a", 1000)).toEqual({ state: "ended", status: "PENDING" });
    await store.transition(job.id, "PROCESSING");
    expect(await store.acquireLease(job.id, "a", 1000)).toEqual({ state: "held", supersededHeartbeatAt: null });
    expect(await store.heartbeat(job.id, "a", 2000)).toEqual({ state: "held", supersededHeartbeatAt: null });
    expect(await store.updateProgress(job.id, { phase: "writing", rows: 10, bytes: 100 }, "a")).toBe(true);
    // A step that holds no lease may not write while someone does.
    expect(await store.updateProgress(job.id, { phase: "writing", rows: 11, bytes: 110 })).toBe(false);

    expect(await store.acquireLease(job.id, "b", 3000)).toEqual({ state: "held", supersededHeartbeatAt: null });
    // The new holder sees the replaced producer's last beat until that one stands down.
    expect(await store.heartbeat(job.id, "b", 3100)).toEqual({ state: "held", supersededHeartbeatAt: 2000 });
    expect(await store.heartbeat(job.id, "a", 3200)).toEqual({ state: "lost" });
    expect(await store.heartbeat(job.id, "b", 3300)).toEqual({ state: "held", supersededHeartbeatAt: 3200 });
    expect(await store.updateProgress(job.id, { phase: "writing", rows: 20, bytes: 200 }, "a")).toBe(false);
    expect(await store.updateProgress(job.id, { phase: "writing", rows: 20, bytes: 200 }, "b")).toBe(true);
    expect((await store.readStates([job.id]))[0]).toMatchObject({ heartbeatAt: 3300, job: { progress: { rows: 20 } } });

    await store.releaseLease(job.id, "a");
    expect(await store.heartbeat(job.id, "b", 3400)).toEqual({ state: "held", supersededHeartbeatAt: null });
    await store.releaseLease(job.id, "b");
    expect((await store.readStates([job.id]))[0]?.heartbeatAt).toBeNull();
    expect(await redis.hget(jobKey(job.id), "lease_holder")).toBeNull();

    await store.transition(job.id, "CANCELLED");
    expect(await store.heartbeat(job.id, "b")).toEqual({ state: "ended", status: "CANCELLED" });
    await store.delete(job.id);
    expect(await store.heartbeat(job.id, "b")).toEqual({ state: "ended", status: null });
  });

  it("fails a job read past its deadline, once and atomically, and leaves one within it alone", async () => {
    const pending = newJob();
    const created = (await store.create(pending)).job;
    const startBy = Date.parse(created.createdAt) + START_WITHIN_MS;
    expect(await store.readStates([pending.id], new Date(startBy - 1))).toMatchObject([{ job: { status: "PENDING" }, failedOverdue: false }]);
    const [late] = await store.readStates([pending.id], new Date(startBy + 1));
    expect(late).toMatchObject({ failedOverdue: true, job: { status: "FAILED", error: stalledExportError.message, errorCode: "TIMEOUT" } });
    expect(late?.job.completedAt).toBeDefined();
    expect(await store.readStates([pending.id], new Date(startBy + 2))).toMatchObject([{ job: { status: "FAILED" }, failedOverdue: false }]);

    const running = newJob();
    await store.create(running);
    const deadlineAt = new Date(Date.now() + 60_000).toISOString();
    await store.transition(running.id, "PROCESSING", { deadlineAt });
    expect((await store.readStates([running.id], new Date(Date.now() + 30_000)))[0]?.job.status).toBe("PROCESSING");
    expect((await store.readStates([running.id], new Date(Date.parse(deadlineAt) + 1)))[0]?.job.status).toBe("FAILED");

    // A finished job has no deadline any more.
    const done = newJob();
    await store.create(done);
    await store.transition(done.id, "PROCESSING", { deadlineAt });
    await store.transition(done.id, "COMPLETED", { file: file() });
    expect((await store.readStates([done.id], new Date(Date.parse(deadlineAt) + 1)))[0]?.job.status).toBe("COMPLETED");
  });

  it("deletes the record and its index entries, idempotently", async () => {
    const job = newJob();
    await store.create(job);
    await store.delete(job);
    expect(await store.get(job.id)).toBeNull();
    expect(await redis.zscore(teamJobsKey(teamId), job.id)).toBeNull();
    expect(await redis.zscore(userJobsKey(userId), job.id)).toBeNull();
    await store.delete(job.id);
    await store.delete(randomUUID());
  });

  it("hides another team's job as NOT_FOUND", async () => {
    const job = newJob();
    await store.create(job);
    await expect(store.getForTeam("someone-else", job.id)).rejects.toMatchObject({ code: "NOT_FOUND" });
    expect(await store.getForTeam(teamId, job.id)).toMatchObject({ id: job.id });
  });

  it("throttles progress writes to about 4 a second and lands the last value", async () => {
    const job = newJob();
    await store.create(job);
    await store.transition(job.id, "PROCESSING");
    const reporter = createProgressReporter(store, job.id, { minIntervalMs: 250 });
    const started = Date.now();
    let rows = 0;
    while (Date.now() - started < 1000) {
      for (let i = 0; i < 10; i++) reporter.report({ phase: "writing", rows: ++rows, bytes: rows * 10 });
      await new Promise((r) => setImmediate(r));
    }
    await reporter.flush();
    expect(rows).toBeGreaterThan(1000);
    expect(reporter.writes).toBeGreaterThanOrEqual(4);
    expect(reporter.writes).toBeLessThanOrEqual(6);
    expect((await store.get(job.id))?.progress).toEqual({ phase: "writing", rows, bytes: rows * 10 });
  });

  it("keeps an export going when a progress write fails", async () => {
    const failing = { updateProgress: () => Promise.reject(new Error("Redis is down")) };
    const reporter = createProgressReporter(failing, "job-x", { minIntervalMs: 0 });
    const warned: string[] = [];
    const original = console.log;
    console.log = (line: string) => void warned.push(line);
    try {
      reporter.report({ phase: "writing", rows: 1, bytes: 1 });
      await reporter.flush();
    } finally {
      console.log = original;
    }
    expect(warned.join("\n")).toContain("export.progress_write_failed");
  });
});
