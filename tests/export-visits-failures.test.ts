/**
 * A visit export whose Tinybird calls keep failing, end to end: the real `export-visits`
 * function on the local executor, views in PostgreSQL, and the fake Tinybird answering every
 * call for the export's view with a 503 or a 429. The Tinybird provider is the one layer that
 * retries those calls (3 retries: 4 tries); the batch step then ends the export with
 * Tinybird's own code and message, at once, rather than run the batch (and its 4 tries) again
 * on the engine's retries and leave the job to onFailure's generic INTERNAL.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";

import { FAKE_TINYBIRD_TOKEN, type FakeTinybird, startFakeTinybird } from "../dev/fake-tinybird";
import { type ExportHarness, startExportHarness } from "./support/export-harness";

let tinybird: FakeTinybird;
let harness: ExportHarness;
let fixtures: typeof import("./support/fixtures");
let manage: typeof import("~/server/exports/manage-export");
let visits: typeof import("./support/visit-fixtures");
let app: typeof import("./support/export-app");

beforeAll(async () => {
  tinybird = await startFakeTinybird({ latencyMs: 5 });
  harness = await startExportHarness({
    env: { TINYBIRD_TOKEN: FAKE_TINYBIRD_TOKEN, TINYBIRD_API_URL: tinybird.url, TINYBIRD_MODE: "per-view" },
  });
  fixtures = await import("./support/fixtures");
  manage = await import("~/server/exports/manage-export");
  visits = await import("./support/visit-fixtures");
  app = await import("./support/export-app");
}, 120_000);

afterAll(async () => {
  await harness?.close();
  await tinybird?.close();
});

/** A document with one view, exported while Tinybird answers `status` to every call for it. */
async function exportWhileTinybirdFails(status: number) {
  const seeded = await visits.seedVisits({ views: 1 });
  const [view] = seeded.views;
  tinybird.setDurations(visits.durationsOf(seeded.views));
  tinybird.reset();
  tinybird.injectFault({ viewIds: [view!.id], status, times: 1_000, retryAfter: status === 429 ? "0" : undefined });
  const trpc = fixtures.trpcAs(fixtures.sessionCaller(seeded.user.id));
  const { exportId } = await trpc.visits.exportDocument({ teamId: seeded.team.id, documentId: seeded.document.id });
  const job = await manage.waitForExport(seeded.team.id, exportId, { timeoutMs: 60_000 });
  // The step settles the job just before the executor records the run's end.
  const run = () => harness.executor.runs().find((r) => r.event.data.exportId === exportId && r.functionId.endsWith("export-visits"));
  await app.waitFor(async () => run()?.status === "Failed", 10_000);
  return { job, viewId: view!.id, batch: run()?.history.filter((h) => h.name === "fetch durations 1/1").map((h) => h.status) };
}

describe("a visit export whose Tinybird calls fail until the retries run out", () => {
  it("ends FAILED with UPSTREAM_UNAVAILABLE when Tinybird answers 503 throughout, after 4 tries of the call", async () => {
    const { job, viewId, batch } = await exportWhileTinybirdFails(503);
    expect(job).toMatchObject({ status: "FAILED", errorCode: "UPSTREAM_UNAVAILABLE", error: expect.stringMatching(/^Tinybird is unavailable \(503\)/) });
    expect(tinybird.stats().callsByView[viewId]).toBe(4);
    // The step ran once: the engine did not try the batch, and its 4 calls, again.
    expect(batch).toEqual(["failed"]);
  });

  it("ends FAILED with RATE_LIMITED when Tinybird answers 429 throughout, after 4 tries of the call", async () => {
    const { job, viewId, batch } = await exportWhileTinybirdFails(429);
    expect(job).toMatchObject({ status: "FAILED", errorCode: "RATE_LIMITED", error: expect.stringMatching(/^Tinybird rate limit reached \(429\)/) });
    expect(tinybird.stats().callsByView[viewId]).toBe(4);
    expect(batch).toEqual(["failed"]);
  });
});
