import { randomUUID } from "node:crypto";

import { afterAll, describe, expect, it } from "vitest";

import { AppError } from "~/server/errors";
import { createRedis } from "~/server/redis";

import { createProgressReporter, JobStore, jobKey, teamJobsKey } from "./job-store";

const redis = createRedis({ redisUrl: "redis://127.0.0.1:6379/2" });
const store = new JobStore(redis, 3600);
const teamId = `team-${randomUUID()}`;
const userId = `user-${randomUUID()}`;

const newJob = (over: Partial<{ teamId: string; userId: string }> = {}) => ({
  id: randomUUID(),
  type: "metric" as const,
  resourceId: "metric-1",
  teamId,
  userId,
  ...over,
});

afterAll(async () => {
  await redis.del(teamJobsKey(teamId), `export_jobs:user:${userId}`);
  await redis.close();
});

describe("job store (real Redis)", () => {
  it("creates a PENDING job as a readable hash, once per id", async () => {
    const input = newJob();
    const first = await store.create(input);
    expect(first).toMatchObject({ created: true, job: { id: input.id, status: "PENDING", type: "metric", teamId } });
    const again = await store.create(input);
    expect(again.created).toBe(false);
    expect(await redis.hget(jobKey(input.id), "status")).toBe("PENDING");
    expect(await redis.ttl(jobKey(input.id))).toBeGreaterThan(3500);
  });

  it("lists a team's jobs newest first, with paging", async () => {
    const t = `team-${randomUUID()}`;
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) {
      const job = newJob({ teamId: t });
      ids.push(job.id);
      await store.create(job);
      await new Promise((r) => setTimeout(r, 3));
    }
    const first = await store.list({ teamId: t }, { limit: 2 });
    expect(first.items.map((j) => j.id)).toEqual([ids[4], ids[3]]);
    expect(first).toMatchObject({ total: 5, nextOffset: 2 });
    const last = await store.list({ teamId: t }, { limit: 2, offset: 4 });
    expect(last.items.map((j) => j.id)).toEqual([ids[0]]);
    expect(last.nextOffset).toBeNull();
    await redis.del(teamJobsKey(t));
  });

  it("drops expired records from the lists", async () => {
    const t = `team-${randomUUID()}`;
    const shortLived = new JobStore(redis, 1);
    const job = newJob({ teamId: t });
    await shortLived.create(job);
    expect((await shortLived.list({ teamId: t }, { limit: 10 })).items).toHaveLength(1);
    await new Promise((r) => setTimeout(r, 2100));
    const listed = await shortLived.list({ teamId: t }, { limit: 10 });
    expect(listed.items).toHaveLength(0);
    expect(listed.total).toBe(0);
    expect(await redis.zcard(teamJobsKey(t))).toBe(0);
  });

  it("allows only legal status moves", async () => {
    const job = newJob();
    await store.create(job);
    await expect(store.transition(job.id, "COMPLETED")).rejects.toMatchObject({ code: "CONFLICT" });
    await store.transition(job.id, "PROCESSING", { fileKey: "exports/x/y.csv" });
    expect(await store.fileKey(job.id)).toBe("exports/x/y.csv");
    const file = { key: "exports/x/y.csv", name: "y.csv", size: 10, rowCount: 2, truncated: true, expiresAt: new Date().toISOString() };
    await store.transition(job.id, "COMPLETED", { file });
    const done = await store.get(job.id);
    expect(done).toMatchObject({ status: "COMPLETED", file: { ...file } });
    expect(done?.completedAt).toBeDefined();
    const error = await store.transition(job.id, "CANCELLED").catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AppError);
    expect((error as AppError).message).toBe("The export is already completed");
    await expect(store.transition(randomUUID(), "PROCESSING")).rejects.toMatchObject({ code: "NOT_FOUND" });
  });

  it("lets exactly one of a racing cancel and complete win", async () => {
    for (let i = 0; i < 20; i++) {
      const job = newJob();
      await store.create(job);
      await store.transition(job.id, "PROCESSING");
      const results = await Promise.allSettled([store.transition(job.id, "CANCELLED"), store.transition(job.id, "COMPLETED")]);
      expect(results.filter((r) => r.status === "fulfilled")).toHaveLength(1);
      const final = await store.get(job.id);
      expect(["CANCELLED", "COMPLETED"]).toContain(final?.status);
    }
  });

  it("ignores progress once the job has ended", async () => {
    const job = newJob();
    await store.create(job);
    await store.transition(job.id, "PROCESSING");
    expect(await store.updateProgress(job.id, { phase: "querying", rows: 10, bytes: 100 })).toBe(true);
    await store.transition(job.id, "CANCELLED");
    expect(await store.updateProgress(job.id, { phase: "uploading", rows: 20, bytes: 200 })).toBe(false);
    expect(await store.get(job.id)).toMatchObject({ status: "CANCELLED", progress: { rows: 10, bytes: 100 } });
  });

  it("hides another team's job as NOT_FOUND", async () => {
    const job = newJob();
    await store.create(job);
    await expect(store.getForTeam("someone-else", job.id)).rejects.toMatchObject({ code: "NOT_FOUND" });
  });

  it("throttles progress writes to a few a second and keeps the last value", async () => {
    const job = newJob();
    await store.create(job);
    await store.transition(job.id, "PROCESSING");
    const reporter = createProgressReporter(store, job.id, { minIntervalMs: 250 });
    const started = Date.now();
    let rows = 0;
    while (Date.now() - started < 1000) {
      reporter.report({ phase: "writing", rows: ++rows, bytes: rows * 10 });
      await new Promise((r) => setImmediate(r));
    }
    await reporter.flush();
    expect(rows).toBeGreaterThan(1000);
    expect(reporter.writes).toBeLessThanOrEqual(6);
    expect((await store.get(job.id))?.progress).toEqual({ phase: "writing", rows, bytes: rows * 10 });
  });
});
