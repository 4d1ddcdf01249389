/**
 * The visit files' columns, row by row against the database, with durations and user agents
 * from a local fake of Tinybird's pipes (nothing real can run Tinybird here), batched, which
 * answers 429 to any call that surely breaks the 5-at-a-time / 200 ms limit: none may come.
 */
import { afterAll, beforeAll, expect, it } from "vitest";

import { FAKE_TINYBIRD_TOKEN, type FakeTinybird, startFakeTinybird } from "../dev/fake-tinybird";
import { type ExportHarness, startExportHarness } from "./support/export-harness";
import { checkVisitColumns } from "./support/visit-columns-check";

let tinybird: FakeTinybird;
let harness: ExportHarness;

beforeAll(async () => {
  tinybird = await startFakeTinybird({ latencyMs: 20 });
  harness = await startExportHarness({
    env: { TINYBIRD_TOKEN: FAKE_TINYBIRD_TOKEN, TINYBIRD_API_URL: tinybird.url, TINYBIRD_MODE: "batched" },
  });
}, 120_000);

afterAll(async () => {
  await harness?.close();
  await tinybird?.close();
});

it("writes Papermark's columns, then ours, then the custom fields, from Tinybird's pipes within its limit", async () => {
  const { agentsInDatabase, durationsInDatabase } = await import("./support/visit-columns");
  tinybird.reset();
  await checkVisitColumns(async () => {
    tinybird.setDurations(await durationsInDatabase());
    tinybird.setAgents(await agentsInDatabase());
  });
  const stats = tinybird.stats();
  expect(stats.breaches).toEqual([]);
  expect(stats.sent429).toBe(0);
  // Three exports of one batch each: one durations call and one user-agent call apiece.
  expect(stats.callsByPipe).toEqual({ export_view_durations_batched: 3, export_view_user_agents: 3 });
});
