/**
 * A visit export survives its executor dying mid-run: the run resumes from its last
 * checkpointed batch, and the fake Tinybird's call counts prove that finished batches are
 * not fetched again. Batched mode: one pipe call per batch of 100 views.
 */
import { afterAll, beforeAll, expect, it } from "vitest";

import { FAKE_TINYBIRD_TOKEN, type FakeTinybird, startFakeTinybird } from "../dev/fake-tinybird";
import { type ExportHarness, startExportHarness } from "./support/export-harness";

let tinybird: FakeTinybird;
let harness: ExportHarness;

beforeAll(async () => {
  // Slow calls leave time to stop the executor between two batches.
  tinybird = await startFakeTinybird({ latencyMs: 1500 });
  harness = await startExportHarness({
    env: { TINYBIRD_TOKEN: FAKE_TINYBIRD_TOKEN, TINYBIRD_API_URL: tinybird.url, TINYBIRD_MODE: "batched" },
  });
}, 120_000);

afterAll(async () => {
  await harness?.close();
  await tinybird?.close();
});

it("resumes after the executor dies at batch 2 of 3, without refetching batch 1", async () => {
  const { seedVisits, durationsOf } = await import("./support/visit-fixtures");
  const { trpcAs, sessionCaller } = await import("./support/fixtures");
  const { waitForExport, getExport } = await import("~/server/exports/manage-export");
  const { waitFor } = await import("./support/export-app");

  const seeded = await seedVisits({ views: 300 });
  tinybird.setDurations(durationsOf(seeded.views));
  tinybird.reset();
  const trpc = trpcAs(sessionCaller(seeded.user.id));
  const { exportId } = await trpc.visits.exportDataroom({ teamId: seeded.team.id, dataroomId: seeded.dataroom.id });

  // Stopped once the executor has checkpointed batch 1, not once the job's progress says so:
  // progress is written inside the step, a moment before the step's result reaches the executor.
  const run = () => harness.executor.runs().find((r) => r.functionId.endsWith("export-visits") && r.event.data.exportId === exportId);
  await waitFor(async () => run()?.history.some((h) => h.name === "fetch durations 1/3" && h.status === "ok") ?? false, 30_000);
  expect((await getExport(seeded.team.id, exportId)).status).toBe("PROCESSING");
  const firstBatch = seeded.views.slice(0, 100).map((v) => v.id);
  await harness.restartExecutor();

  const job = await waitForExport(seeded.team.id, exportId, { timeoutMs: 60_000 });
  expect(job.status, job.error).toBe("COMPLETED");
  expect(job.file?.rowCount).toBe(300);
  const calls = tinybird.stats().callsByView;
  for (const id of firstBatch) expect(calls[id], id).toBe(1);
  for (const view of seeded.views) expect(calls[view.id]).toBeGreaterThanOrEqual(1);
  expect(tinybird.stats().sent429).toBe(0);
});
