/**
 * One producer per export (issue 17, item 2). The executor is restarted while "query and
 * upload" streams rows: the old attempt keeps running in the app (its answer will reach no
 * one), and the new executor starts the step again. Two real attempts then run at once. The
 * new one takes the export's lease, the old one sees that at its next heartbeat and aborts
 * its query and upload, progress never goes backwards, and one file with every row is left.
 */
import pg from "pg";
import { afterAll, beforeAll, expect, it, vi } from "vitest";

import { type ExportHarness, startExportHarness } from "./support/export-harness";
import { TEST_POSTGRES_ADMIN_URL, TEST_SOURCE_DATABASE_URL as PG_URL } from "./support/test-env";

let harness: ExportHarness;

beforeAll(async () => {
  harness = await startExportHarness({ env: { EXPORT_FILE_TTL_SECONDS: "600" } });
}, 120_000);

afterAll(async () => {
  await harness?.close();
});

/** Backends running a query that contains `marker`. */
async function backendsRunning(marker: string): Promise<number[]> {
  const client = new pg.Client({ connectionString: TEST_POSTGRES_ADMIN_URL });
  await client.connect();
  const { rows } = await client.query<{ pid: number }>(
    "SELECT pid FROM pg_stat_activity WHERE state = 'active' AND query LIKE $1 AND pid <> pg_backend_pid()",
    [`%${marker}%`],
  );
  await client.end();
  return rows.map((r) => r.pid);
}

it("lets a restarted step take over from the attempt still running: the old one aborts, progress never goes back, one file", async () => {
  const app = await import("./support/export-app");
  const { getJobStore } = await import("~/server/services");
  const { progressPhases } = await import("~/server/exports/job/export-job");
  const logged = vi.spyOn(console, "log");

  const team = await app.teamWithSource("POSTGRES", { url: PG_URL });
  const marker = `lease_probe_${Date.now()}`;
  // 40,000 rows with a quarter-second pause every 2,000: about 5 s of streaming per attempt.
  const metric = await team.metric(
    `SELECT g AS n, '${marker}' AS marker, CASE WHEN g % 2000 = 0 THEN pg_sleep(0.25) END AS pause FROM generate_series(1, 40000) g`,
  );
  const { exportId } = await team.trpc.metrics.export({ teamId: team.id, metricId: metric.id });

  const seen: { rank: number; rows: number }[] = [];
  let sampling = true;
  const sampler = (async () => {
    while (sampling) {
      const progress = (await getJobStore().get(exportId))?.progress;
      if (progress) seen.push({ rank: progressPhases.indexOf(progress.phase as (typeof progressPhases)[number]), rows: progress.rows });
      await new Promise((r) => setTimeout(r, 50));
    }
  })();

  await app.waitFor(async () => ((await getJobStore().get(exportId))?.progress?.rows ?? 0) >= 8000, 30_000);
  const [oldBackend] = await backendsRunning(marker);
  expect(oldBackend).toBeDefined();

  await harness.restartExecutor();
  // The old attempt's query stops while the export is still running, now under the new attempt.
  await app.waitFor(async () => !(await backendsRunning(marker)).includes(oldBackend!), 15_000);
  expect((await getJobStore().get(exportId))?.status).toBe("PROCESSING");

  const job = await app.waitFor(async () => (await getJobStore().get(exportId))?.status === "COMPLETED", 60_000).then(() => getJobStore().get(exportId));
  sampling = false;
  await sampler;

  expect(job).toMatchObject({ status: "COMPLETED", file: { rowCount: 40000 } });
  const superseded = logged.mock.calls
    .map(([line]) => (typeof line === "string" && line.startsWith("{") ? (JSON.parse(line) as Record<string, unknown>) : null))
    .filter((entry) => entry?.msg === "export.produce_failed" && entry.exportId === exportId);
  expect(superseded).toEqual([expect.objectContaining({ superseded: true, error: "A newer attempt took over this export" })]);

  for (let i = 1; i < seen.length; i++) {
    const [before, after] = [seen[i - 1]!, seen[i]!];
    expect(after.rank > before.rank || (after.rank === before.rank && after.rows >= before.rows), `progress ${JSON.stringify(before)} then ${JSON.stringify(after)}`).toBe(true);
  }

  expect(await harness.exportObjects(team.id)).toEqual([job!.file!.key]);
  expect(harness.pendingUploads()).toEqual([]);
  const link = await team.trpc.exports.downloadUrl({ teamId: team.id, exportId });
  const csv = await (await fetch(link.url)).text();
  expect(csv.trimEnd().split("\r\n")).toHaveLength(40001);
});
