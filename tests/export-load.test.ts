/**
 * Twenty metric exports started at once across three teams: every one completes with the
 * right file, no team ever has more exports PROCESSING than its concurrency limit (read
 * from the job states as a user would see them), and nothing is left in PROCESSING.
 */
import { parse } from "csv-parse/sync";
import { afterAll, beforeAll, expect, it } from "vitest";

import { type ExportHarness, startExportHarness } from "./support/export-harness";
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
      const { exportId } = await team.trpc.metrics.export({ teamId: team.id, metricId: metrics[t]!.id });
      started.push({ team, exportId, rows: 10 + t });
    }),
  );

  const maxProcessing = new Map<string, number>();
  const deadline = Date.now() + 120_000;
  for (;;) {
    const jobs = await Promise.all(started.map((s) => getExport(s.team.id, s.exportId)));
    for (const team of teams) {
      const processing = jobs.filter((j) => j.teamId === team.id && j.status === "PROCESSING").length;
      maxProcessing.set(team.id, Math.max(maxProcessing.get(team.id) ?? 0, processing));
    }
    if (jobs.every((j) => isTerminal(j.status))) break;
    if (Date.now() > deadline) throw new Error(`not finished: ${jobs.filter((j) => !isTerminal(j.status)).map((j) => j.status).join(",")}`);
    await new Promise((r) => setTimeout(r, 25));
  }

  for (const team of teams) {
    expect(maxProcessing.get(team.id)).toBeGreaterThanOrEqual(1);
    expect(maxProcessing.get(team.id)).toBeLessThanOrEqual(PER_TEAM_LIMIT);
  }
  const jobs = await Promise.all(started.map((s) => getExport(s.team.id, s.exportId)));
  expect(jobs.map((j) => j.status)).toEqual(Array(20).fill("COMPLETED"));
  for (const s of started) {
    const link = await s.team.trpc.exports.downloadUrl({ teamId: s.team.id, exportId: s.exportId });
    const rows = parse(await (await fetch(link.url)).text()) as string[][];
    expect(rows.length).toBe(s.rows + 1);
  }
});
