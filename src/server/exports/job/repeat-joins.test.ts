/**
 * Repeat joins on the real Redis, as two app processes meet them: each "process" has its own
 * connection and its own RepeatJoins, and only Redis is shared between them.
 */
import { randomUUID } from "node:crypto";

import { afterAll, describe, expect, it } from "vitest";

import { TEST_REDIS_URL } from "../../../../tests/support/test-env";
import { closeRedis, createRedis } from "~/server/redis";

import type { ExportJob } from "./export-job";
import { RepeatJoins } from "./repeat-joins";

const processA = createRedis({ redisUrl: TEST_REDIS_URL });
const processB = createRedis({ redisUrl: TEST_REDIS_URL });
const joinsA = new RepeatJoins(processA);
const joinsB = new RepeatJoins(processB);
const keys = new Set<string>();

afterAll(async () => {
  if (keys.size) await processA.del(...keys);
  await closeRedis(processA);
  await closeRedis(processB);
});

function newKey() {
  const key = RepeatJoins.keyOf({ teamId: "t", userId: randomUUID(), kind: "metric", target: { resourceId: "m", version: 1 } });
  keys.add(key);
  return key;
}

const job = (id: string, status: ExportJob["status"]): ExportJob => ({
  id,
  type: "metric",
  format: "csv",
  status,
  resourceId: "m",
  userId: "u",
  teamId: "t",
  createdAt: new Date().toISOString(),
  updatedAt: new Date().toISOString(),
});

/** The job records both processes read: the store they share, kept here in memory. */
function records() {
  const jobs = new Map<string, ExportJob>();
  return { jobs, read: async (id: string) => jobs.get(id) ?? null };
}
const running = (j: ExportJob) => j.status === "PENDING" || j.status === "PROCESSING";

/** One process's start: it creates the export's record only if it claimed the key, as startExportOf does. */
async function startIn(joins: RepeatJoins, key: string, id: string, jobs: Map<string, ExportJob>) {
  const outcome = await joins.claimOrJoin(key, id, 60, async (jobId) => jobs.get(jobId) ?? null, running);
  if ("claimed" in outcome) jobs.set(id, job(id, "PENDING"));
  return outcome;
}

describe("RepeatJoins", () => {
  it("gives the same key to the same request whatever the order of its fields, and another to any other field", () => {
    const one = RepeatJoins.keyOf({ teamId: "t", userId: "u", kind: "metric", target: { resourceId: "m", version: 2 }, options: { format: "csv" } });
    const reordered = RepeatJoins.keyOf({ options: { format: "csv" }, target: { version: 2, resourceId: "m" }, kind: "metric", userId: "u", teamId: "t" });
    expect(reordered).toBe(one);
    expect(RepeatJoins.keyOf({ teamId: "t", userId: "u", kind: "metric", target: { resourceId: "m", version: 2 }, options: { format: "xlsx" } })).not.toBe(one);
    expect(RepeatJoins.keyOf({ teamId: "t", userId: "u", kind: "metric", target: { resourceId: "m", version: 3 }, options: { format: "csv" } })).not.toBe(one);
  });

  it("lets exactly one of two processes claim a key at once; the other joins its export", async () => {
    const key = newKey();
    const { jobs } = records();
    const [a, b] = ["a-" + randomUUID(), "b-" + randomUUID()];
    const outcomes = await Promise.all([startIn(joinsA, key, a, jobs), startIn(joinsB, key, b, jobs)]);
    const claimed = outcomes.filter((o) => "claimed" in o);
    expect(claimed).toHaveLength(1);
    const winner = (claimed[0] as { claimed: string }).claimed;
    expect(outcomes.find((o) => "joined" in o)).toEqual({ joined: jobs.get(winner) });
  });

  it("replaces the entry of an export that failed, once, when two processes meet it together", async () => {
    const key = newKey();
    const { jobs, read } = records();
    const failed = "failed-" + randomUUID();
    await joinsA.claimOrJoin(key, failed, 60, read, running);
    jobs.set(failed, job(failed, "FAILED"));
    const [a, b] = ["a-" + randomUUID(), "b-" + randomUUID()];
    const outcomes = await Promise.all([startIn(joinsA, key, a, jobs), startIn(joinsB, key, b, jobs)]);
    expect(outcomes.filter((o) => "claimed" in o)).toHaveLength(1);
    expect(outcomes.filter((o) => "joined" in o)).toHaveLength(1);
    expect([a, b]).toContain(await processA.get(key));
  });

  it("takes over an entry whose export was never recorded (its process died) after the grace period", async () => {
    const key = newKey();
    const { read } = records();
    await joinsA.claimOrJoin(key, "never-created", 60, read, running);
    const started = Date.now();
    expect(await joinsB.claimOrJoin(key, "next", 60, read, running)).toEqual({ claimed: "next" });
    expect(Date.now() - started).toBeGreaterThanOrEqual(2_900);
  });

  it("releases only its own entry, and sets each entry's lifetime", async () => {
    const key = newKey();
    const { read } = records();
    await joinsA.claimOrJoin(key, "mine", 120, read, running);
    expect(await processA.ttl(key)).toBeGreaterThan(110);
    await joinsB.release(key, "someone-else");
    expect(await processA.get(key)).toBe("mine");
    await joinsB.release(key, "mine");
    expect(await processA.get(key)).toBeNull();
  });
});
