/**
 * Twenty metric exports started at once across three teams: every one completes with the
 * right file, and no team ever has more than its concurrency limit of runs going at once.
 * The overlap is counted on the executor's own record of when each run held a slot (its
 * start and end), not by sampling the job states: twenty reads are not one instant, and a
 * snapshot taken across a hand-over would count an export that finished with the one that
 * took its slot.
 */
import { parse } from "csv-parse/sync";
import { afterAll, beforeAll, expect, it } from "vitest";

import { type ExportHarness, startExportHarness } from "./support/export-harness";
import { maxOverlap } from "./support/run-overlap";
import { TEST_SOURCE_DATABASE_URL as PG_URL } from "./support/test-env";

const PER_TEAM_LIMIT = 3;
let harness: ExportHarness;

beforeAll(async () => {
  harness = await startExportHarness({ env: { EXPORT_FILE_TTL_SECONDS: "60" } });
}, 120_000);

afterAll(async () => {
  await harness?.close();
});

it("runs 20 concurrent exports across 3 teams within each team's concurrency limit", async () => {
  const app = await import("./support/export-app");
  const { getExport } = await import("~/server/exports/manage-export");
  const { isTerminal } = await import("~/server/exports/job/export-job");

  const teams = await Promise.all([0, 1, 2].map(() => app.teamWithSource("POSTGRES", { url: PG_URL })));
  const started: { team: (typeof teams)[number]; exportId: string; rows: number }[] = [];
  const metrics = await Promise.all(
    teams.map((team, t) => team.metric(`SELECT g AS n, ${t} AS team, pg_sleep(0.05) FROM generate_series(1, ${10 + t}) g`)),
  );
  await Promise.all(
    Array.from({ length: 20 }, async (_, i) => {
      const t = i % 3;
      const team = teams[t]!;
      // Each with its own request id, as the UI sends: twenty starts, not one joined by its repeats.
      const { exportId } = await team.trpc.metrics.export({ teamId: team.id, metricId: metrics[t]!.id, requestId: `load-${i}` });
      started.push({ team, exportId, rows: 10 + t });
    }),
  );

  const jobsNow = () => Promise.all(started.map((s) => getExport(s.team.id, s.exportId)));
  await app.waitFor(async () => (await jobsNow()).every((j) => isTerminal(j.status)), 120_000);
  const jobs = await jobsNow();
  expect(jobs.map((j) => j.status)).toEqual(Array(20).fill("COMPLETED"));

  // A run goes on for a step after its job is COMPLETED (scheduling the file's deletion).
  const exportIds = new Set(started.map((s) => s.exportId));
  const exportRuns = () => harness.executor.runs().filter((r) => r.functionId.endsWith("export-metric-data") && exportIds.has(String(r.event.data.exportId)));
  await app.waitFor(async () => exportRuns().filter((r) => r.endedAt).length === 20, 60_000);
  const runs = exportRuns();
  expect(runs.map((r) => r.status)).toEqual(Array(20).fill("Completed"));
  for (const team of teams) {
    const held = runs
      .filter((r) => r.event.data.teamId === team.id)
      .map((r) => ({ start: Date.parse(r.startedAt!), end: Date.parse(r.endedAt!) }));
    expect(held).toHaveLength(started.filter((s) => s.team.id === team.id).length);
    const overlap = maxOverlap(held);
    expect(overlap).toBeGreaterThanOrEqual(1);
    expect(overlap).toBeLessThanOrEqual(PER_TEAM_LIMIT);
  }

  for (const s of started) {
    const link = await s.team.trpc.exports.downloadUrl({ teamId: s.team.id, exportId: s.exportId });
    const rows = parse(await (await fetch(link.url)).text()) as string[][];
    expect(rows.length).toBe(s.rows + 1);
  }
});
