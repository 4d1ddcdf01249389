/**
 * The producer lease on the real Redis: a new attempt takes over, the old one is aborted at
 * its next heartbeat and its progress refused, and the new one writes nothing until the old
 * one has stood down (or fallen silent, as a killed process does).
 */
import { randomUUID } from "node:crypto";

import { afterAll, describe, expect, it } from "vitest";

import { TEST_REDIS_URL } from "../../../../tests/support/test-env";
import { closeRedis, createRedis } from "~/server/redis";

import { jobKey, JobStore, teamJobsKey, userJobsKey } from "./job-store";
import { takeProducerLease } from "./producer-lease";

const redis = createRedis({ redisUrl: TEST_REDIS_URL });
const store = new JobStore(redis, 600);
const teamId = `team-${randomUUID()}`;
const userId = `user-${randomUUID()}`;
const jobIds: string[] = [];

afterAll(async () => {
  await redis.del(...jobIds.map(jobKey), teamJobsKey(teamId), userJobsKey(userId));
  await closeRedis(redis);
});

async function processingJob(): Promise<string> {
  const id = randomUUID();
  jobIds.push(id);
  await store.create({ id, type: "metric", resourceId: "metric-1", teamId, userId });
  await store.transition(id, "PROCESSING");
  return id;
}

const aborted = (controller: AbortController) =>
  new Promise<unknown>((resolve) => controller.signal.addEventListener("abort", () => resolve(controller.signal.reason), { once: true }));

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe("producer lease", () => {
  it("aborts the old attempt when a new one takes over, refuses its progress, and starts the new one once it stood down", async () => {
    const id = await processingJob();
    const first = new AbortController();
    const old = await takeProducerLease(store, id, first, { heartbeatMs: 50 });
    expect(await old.progress.updateProgress(id, { phase: "writing", rows: 100, bytes: 1000 })).toBe(true);

    const second = new AbortController();
    let taken = false;
    const taking = takeProducerLease(store, id, second, { heartbeatMs: 50, silenceMs: 10_000 }).then((lease) => {
      taken = true;
      return lease;
    });
    expect(await aborted(first)).toMatchObject({ code: "CONFLICT", message: "A newer attempt took over this export" });
    expect(old.superseded).toBe(true);
    expect(await old.progress.updateProgress(id, { phase: "writing", rows: 200, bytes: 2000 })).toBe(false);

    // The old attempt is still winding down (its heartbeat goes on): the new one waits.
    await sleep(300);
    expect(taken).toBe(false);
    await old.release();
    const current = await taking;
    expect(second.signal.aborted).toBe(false);
    expect(current.superseded).toBe(false);
    expect(await current.progress.updateProgress(id, { phase: "writing", rows: 150, bytes: 1500 })).toBe(true);
    expect((await store.get(id))?.progress).toEqual({ phase: "writing", rows: 150, bytes: 1500 });
    await current.release();
    expect((await store.readStates([id]))[0]?.heartbeatAt).toBeNull();
  });

  it("takes over from a producer that died holding the lease once it has been silent", async () => {
    const long = await processingJob();
    // Its process was killed long ago: the lease and a stale heartbeat remain.
    await store.acquireLease(long, "killed", Date.now() - 60_000);
    const lease = await takeProducerLease(store, long, new AbortController(), { heartbeatMs: 50, silenceMs: 3000 });
    await lease.release();

    const just = await processingJob();
    await store.acquireLease(just, "killed", Date.now());
    let taken = false;
    const taking = takeProducerLease(store, just, new AbortController(), { heartbeatMs: 50, silenceMs: 500 }).then((l) => {
      taken = true;
      return l;
    });
    await sleep(100);
    expect(taken).toBe(false);
    await (await taking).release();
  });

  it("aborts the producer when its job is cancelled or deleted, and refuses a job that is not PROCESSING", async () => {
    const id = await processingJob();
    const controller = new AbortController();
    const lease = await takeProducerLease(store, id, controller, { heartbeatMs: 50 });
    await store.transition(id, "CANCELLED");
    expect(await aborted(controller)).toMatchObject({ code: "CONFLICT", message: "The export was cancelled" });
    expect(lease.superseded).toBe(false);
    await lease.release();

    const gone = await processingJob();
    const watching = new AbortController();
    const held = await takeProducerLease(store, gone, watching, { heartbeatMs: 50 });
    await store.delete(gone);
    expect(await aborted(watching)).toMatchObject({ code: "CONFLICT", message: "The export no longer exists" });
    await held.release();

    await expect(takeProducerLease(store, id, new AbortController())).rejects.toMatchObject({ code: "CONFLICT", message: "The export was cancelled" });
  });
});
