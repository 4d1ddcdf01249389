/**
 * Live progress for many watchers over real Redis pub/sub: every watcher of one export gets
 * every phase in order and the final state, a late joiner gets the final state, another team
 * is refused, the team stream shows several running jobs moving, and the Redis commands spent
 * while watching do not grow with the number of watchers.
 */
import { Redis as IORedis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

import { type ExportHarness, startExportHarness } from "./support/export-harness";
import { TEST_SOURCE_DATABASE_URL as PG_URL, TEST_REDIS_URL } from "./support/test-env";

type Seen = { status: string; rows: number };
type Job = { id: string; status: string; progress?: { rows: number } };

let harness: ExportHarness;
let app: typeof import("./support/export-app");
let redis: IORedis;

beforeAll(async () => {
  harness = await startExportHarness({ env: { EXPORT_FILE_TTL_SECONDS: "60" } });
  app = await import("./support/export-app");
  redis = new IORedis(TEST_REDIS_URL);
}, 120_000);

afterAll(async () => {
  await redis?.quit();
  await harness?.close();
});

/** 60,000 rows with a 0.25 s pause in every 5,000: about three seconds of PROCESSING. */
const SLOW_SQL = (tag: string) =>
  `SELECT g AS n, '${tag}' AS tag, CASE WHEN g % 5000 = 0 THEN pg_sleep(0.25) END AS pause FROM generate_series(1, 60000) g`;

/** A server-side caller sees the `tracked(id, job)` envelope that SSE clients get as { id, data }. */
const jobOf = (update: unknown) => (update as [string, Job])[1];

/** The server's commands processed so far (all databases: the bound below leaves room for other clients). */
async function commandsProcessed(): Promise<number> {
  const stats = await redis.info("stats");
  return Number(/total_commands_processed:(\d+)/.exec(stats)![1]);
}

function expectInOrder(seen: Seen[]) {
  const order = ["PENDING", "PROCESSING", "COMPLETED"];
  for (let i = 1; i < seen.length; i++) {
    expect(order.indexOf(seen[i]!.status)).toBeGreaterThanOrEqual(order.indexOf(seen[i - 1]!.status));
    if (seen[i]!.status === seen[i - 1]!.status) expect(seen[i]!.rows).toBeGreaterThanOrEqual(seen[i - 1]!.rows);
  }
}

describe("live progress fan-out", () => {
  it("gives 60 watchers of one export every phase in order and the final state, at a Redis cost that does not grow with them", async () => {
    const team = await app.teamWithSource("POSTGRES", { url: PG_URL });
    const metric = await team.metric(SLOW_SQL("fanout"));
    const { exportId } = await team.trpc.metrics.export({ teamId: team.id, metricId: metric.id });
    const WATCHERS = 60;
    const seen: Seen[][] = Array.from({ length: WATCHERS }, () => []);
    const watching = seen.map(async (list) => {
      for await (const update of await team.trpc.exports.onProgress({ teamId: team.id, exportId })) {
        const job = jobOf(update);
        list.push({ status: job.status, rows: job.progress?.rows ?? 0 });
      }
    });

    await app.waitFor(async () => seen.every((list) => list.at(-1)?.status === "PROCESSING"), 20_000, 20);
    const before = await commandsProcessed();
    const WINDOW_MS = 1_500;
    await new Promise((resolve) => setTimeout(resolve, WINDOW_MS));
    const spent = (await commandsProcessed()) - before;
    await Promise.all(watching);

    // Polling would cost each watcher two reads a second (180 here); the export's own writes,
    // and other clients of this Redis server, fit well under that.
    expect(spent).toBeLessThan(WATCHERS * 2 * (WINDOW_MS / 1000));
    for (const list of seen) {
      expect(list.at(-1)).toEqual({ status: "COMPLETED", rows: 60000 });
      expectInOrder(list);
      expect(list.some((s) => s.status === "PROCESSING" && s.rows > 0 && s.rows < 60000)).toBe(true);
    }
    // Pushed, not sampled: every watcher that was there from the start saw the same changes.
    const first = JSON.stringify(seen[0]);
    expect(seen.filter((list) => JSON.stringify(list) === first).length).toBeGreaterThan(WATCHERS / 2);
  }, 60_000);

  it("gives a watcher who joins after the end the final state, and refuses another team", async () => {
    const team = await app.teamWithSource("POSTGRES", { url: PG_URL });
    const metric = await team.metric("SELECT g FROM generate_series(1, 10) g");
    const done = await team.exportAndWait(metric.id);
    expect(done.status).toBe("COMPLETED");

    const late: Job[] = [];
    for await (const update of await team.trpc.exports.onProgress({ teamId: team.id, exportId: done.id })) late.push(jobOf(update));
    expect(late.map((j) => [j.status, j.progress?.rows])).toEqual([["COMPLETED", 10]]);

    const stranger = await app.teamWithSource("POSTGRES", { url: PG_URL });
    const asStranger = await stranger.trpc.exports.onProgress({ teamId: team.id, exportId: done.id }).catch((e: { code?: string }) => e);
    expect((asStranger as { code?: string }).code).toBe("FORBIDDEN");
    const teamAsStranger = await stranger.trpc.exports.onTeamProgress({ teamId: team.id }).catch((e: { code?: string }) => e);
    expect((teamAsStranger as { code?: string }).code).toBe("FORBIDDEN");
    // Under its own team, another team's export is unknown.
    const ownTeam = async () => {
      for await (const update of await stranger.trpc.exports.onProgress({ teamId: stranger.id, exportId: done.id })) void update;
    };
    await expect(ownTeam()).rejects.toMatchObject({ code: "NOT_FOUND" });
  }, 60_000);

  it("streams two running jobs of a team on one team stream as they move", async () => {
    const team = await app.teamWithSource("POSTGRES", { url: PG_URL });
    const metrics = await Promise.all([team.metric(SLOW_SQL("team_a")), team.metric(SLOW_SQL("team_b"))]);
    const stream = await team.trpc.exports.onTeamProgress({ teamId: team.id });
    const ids = await Promise.all(metrics.map(async (m) => (await team.trpc.metrics.export({ teamId: team.id, metricId: m.id })).exportId));
    const seen = new Map<string, Seen[]>(ids.map((id) => [id, []]));
    for await (const update of stream) {
      const job = jobOf(update);
      seen.get(job.id)?.push({ status: job.status, rows: job.progress?.rows ?? 0 });
      if ([...seen.values()].every((list) => list.at(-1)?.status === "COMPLETED")) break;
    }
    for (const list of seen.values()) {
      expect(list.at(-1)).toEqual({ status: "COMPLETED", rows: 60000 });
      expectInOrder(list);
      expect(list.filter((s) => s.status === "PROCESSING" && s.rows > 0 && s.rows < 60000).length).toBeGreaterThan(1);
    }
  }, 60_000);
});
