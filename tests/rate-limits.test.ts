/**
 * Rate limits as clients meet them: tRPC answers TOO_MANY_REQUESTS with when to retry, REST
 * answers 429 with Retry-After and X-RateLimit-* headers, and a refused call creates nothing.
 */
import { setTimeout as sleep } from "node:timers/promises";

import { afterAll, beforeAll, expect, it } from "vitest";

import { type ExportHarness, startExportHarness } from "./support/export-harness";
import { TEST_SOURCE_DATABASE_URL as PG_URL } from "./support/test-env";

let harness: ExportHarness;

beforeAll(async () => {
  harness = await startExportHarness({ env: { RATE_LIMIT_EXPORTS_PER_USER_PER_MINUTE: "2", RATE_LIMIT_REST_PER_TOKEN_PER_MINUTE: "3" } });
}, 120_000);

afterAll(async () => {
  await harness?.close();
});

/**
 * @upstash/ratelimit's sliding window rounds the previous window's weight down, so calls on
 * both sides of a window's edge can pass one over the limit. The app's per-minute windows
 * follow the real clock; each test starts its calls with at least 15 s left in the minute.
 */
async function clearOfMinuteEdge() {
  const left = 60_000 - (Date.now() % 60_000);
  if (left < 15_000) await sleep(left + 100);
}

it("tRPC: the user's third export in a minute is refused with TOO_MANY_REQUESTS and nothing is created", async () => {
  const app = await import("./support/export-app");
  const team = await app.teamWithSource("POSTGRES", { url: PG_URL });
  // Three metrics: the same one again would join its export rather than start another.
  const [a, b, c] = [await team.metric("SELECT 1 AS one"), await team.metric("SELECT 2 AS two"), await team.metric("SELECT 3 AS three")];
  await clearOfMinuteEdge();
  const first = await team.trpc.metrics.export({ teamId: team.id, metricId: a.id });
  const second = await team.trpc.metrics.export({ teamId: team.id, metricId: b.id });
  const error = await team.trpc.metrics.export({ teamId: team.id, metricId: c.id }).catch((e: unknown) => e);
  expect(error).toMatchObject({ code: "TOO_MANY_REQUESTS" });
  expect((error as Error).message).toMatch(/try again in \d+ s/);
  expect((await team.trpc.exports.list({ teamId: team.id })).total).toBe(2);
  // Let both finish uploading: storage is taken down after the last test, and a loaded
  // machine may still be writing a file then.
  const { waitForExport } = await import("~/server/exports/manage-export");
  for (const { exportId } of [first, second]) expect((await waitForExport(team.id, exportId, { timeoutMs: 60_000 })).status).toBe("COMPLETED");
});

it("tRPC: a repeated export that joins the running one is not counted against the limit", async () => {
  const app = await import("./support/export-app");
  const team = await app.teamWithSource("POSTGRES", { url: PG_URL });
  const slow = await team.metric("SELECT pg_sleep(2) AS slept");
  const other = await team.metric("SELECT 1 AS one");
  await clearOfMinuteEdge();
  const first = await team.trpc.metrics.export({ teamId: team.id, metricId: slow.id });
  const repeats = await Promise.all([1, 2, 3].map(() => team.trpc.metrics.export({ teamId: team.id, metricId: slow.id })));
  expect(repeats.map((r) => r.exportId)).toEqual([first.exportId, first.exportId, first.exportId]);
  // The user's limit is 2 a minute: the joins cost nothing, so a second export still starts.
  const second = await team.trpc.metrics.export({ teamId: team.id, metricId: other.id });
  expect(second.exportId).not.toBe(first.exportId);
  expect(await team.trpc.metrics.export({ teamId: team.id, metricId: (await team.metric("SELECT 2 AS two")).id }).catch((e: unknown) => e)).toMatchObject({ code: "TOO_MANY_REQUESTS" });
  expect((await team.trpc.exports.list({ teamId: team.id })).total).toBe(2);
  const { waitForExport } = await import("~/server/exports/manage-export");
  for (const { exportId } of [first, second]) expect((await waitForExport(team.id, exportId, { timeoutMs: 60_000 })).status).toBe("COMPLETED");
});

it("REST: a token's fourth call in a minute gets 429 with Retry-After and X-RateLimit headers", async () => {
  const { createTeamWithUser, tokenFor } = await import("./support/fixtures");
  const { GET } = await import("~/app/api/teams/[teamId]/export-jobs/route");
  const { team, user } = await createTeamWithUser("OWNER");
  const token = await tokenFor(user.id, team.id);
  const call = () =>
    GET(new Request("http://test/x", { headers: { authorization: `Bearer ${token}` } }), { params: Promise.resolve({ teamId: team.id }) });
  await clearOfMinuteEdge();
  for (let i = 0; i < 3; i++) expect((await call()).status).toBe(200);
  const refused = await call();
  expect(refused.status).toBe(429);
  expect(Number(refused.headers.get("retry-after"))).toBeGreaterThanOrEqual(1);
  expect(refused.headers.get("x-ratelimit-limit")).toBe("3");
  expect(refused.headers.get("x-ratelimit-remaining")).toBe("0");
  expect(Number(refused.headers.get("x-ratelimit-reset"))).toBeGreaterThan(Date.now() / 1000);
  expect(await refused.json()).toMatchObject({ code: "rate_limited", retryAfterSeconds: expect.any(Number) });
});
