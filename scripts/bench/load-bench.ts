/**
 * npm run bench:load — the built app under load (app-runtime.ts, as `npm start` serves it):
 *
 * 1. `exports.list` (tRPC over HTTP, Bearer token) on a team with 10,000 jobs in its job store,
 *    BENCH_LIST_CALLS (200) calls one after another: p50 and p95 (target p95 < 50 ms).
 * 2. BENCH_EXPORTS (100) metric exports across BENCH_TEAMS (10) teams started at once through
 *    the REST download, each timed from its request to its file fetched from the presigned
 *    link. Meanwhile one poller calls `exports.list` and the REST job status
 *    (`GET /api/teams/:teamId/export-jobs/:exportId`) of a job in that list, one call after the
 *    other. Prints exports a minute, p50 and p95 time to file, and the pollers' p95.
 * 3. The per-team concurrency, checked on the executor's own record of each call to the app
 *    (its end and duration): at most the metric kind's limit of calls at once per team. The
 *    limit counts calls in flight, as Inngest's counts steps, so a run waiting out a retry's
 *    backoff holds no slot.
 * 4. The server's warnings and errors during the run, counted by kind, with the first reason.
 *
 * Every export reads `bench_export_<BENCH_LOAD_ROWS>` (10,000 rows) in PostgreSQL.
 */
import { randomUUID } from "node:crypto";
import { spawnSync } from "node:child_process";

import { type AppLogLine, type AppRuntime, startAppRuntime } from "./app-runtime";
import { benchSelect, seedBenchTable } from "./seed-bench-table";
import { maxOverlap } from "../../tests/support/run-overlap";

const exportCount = Number(process.env.BENCH_EXPORTS ?? 100);
const teamCount = Number(process.env.BENCH_TEAMS ?? 10);
const rowsPerExport = Number(process.env.BENCH_LOAD_ROWS ?? 10_000);
const listCalls = Number(process.env.BENCH_LIST_CALLS ?? 200);
const bigTeamJobs = 10_000;

type Team = Awaited<ReturnType<AppRuntime["newTeam"]>>;

const percentile = (values: number[], p: number) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? NaN;
};
const ms = (value: number) => `${value.toFixed(0)} ms`;

async function timed<T>(work: () => Promise<T>): Promise<{ ms: number; value: T }> {
  const started = performance.now();
  const value = await work();
  return { ms: performance.now() - started, value };
}

/** One `exports.list` over HTTP, as a typed client sends it (superjson's `json` envelope). */
async function listJobs(runtime: AppRuntime, team: Team): Promise<{ id: string; status: string }[]> {
  const input = encodeURIComponent(JSON.stringify({ json: { teamId: team.team.id, limit: 20 } }));
  const answer = await fetch(`${runtime.appUrl}/api/trpc/exports.list?input=${input}`, { headers: { authorization: `Bearer ${team.token}` } });
  const body = (await answer.json()) as { result?: { data: { json: { items: { id: string; status: string }[] } } } };
  if (!answer.ok || !body.result) throw new Error(`exports.list answered ${answer.status}: ${JSON.stringify(body).slice(0, 300)}`);
  return body.result.data.json.items;
}

async function jobStatus(runtime: AppRuntime, team: Team, exportId: string): Promise<void> {
  const answer = await fetch(`${runtime.appUrl}/api/teams/${team.team.id}/export-jobs/${exportId}`, { headers: { authorization: `Bearer ${team.token}` } });
  if (!answer.ok) throw new Error(`the job status answered ${answer.status}`);
  await answer.arrayBuffer();
}

/** The export id a 504 carries, wherever the error body's layout puts it. */
function exportIdIn(body: unknown): string {
  const found = (value: unknown): string | undefined => {
    if (!value || typeof value !== "object") return undefined;
    const record = value as Record<string, unknown>;
    if (typeof record.exportId === "string") return record.exportId;
    for (const inner of Object.values(record)) {
      const id = found(inner);
      if (id) return id;
    }
    return undefined;
  };
  const id = found(body);
  if (!id) throw new Error(`a 504 without an export id: ${JSON.stringify(body)}`);
  return id;
}

/** A team whose job store holds `count` jobs, written straight to the store as the app writes them. */
async function teamWithJobs(runtime: AppRuntime, count: number): Promise<{ team: Team; remove(): Promise<void> }> {
  const team = await runtime.newTeam("bench-list");
  const { getJobStore } = await import("~/server/services");
  const store = getJobStore();
  const ids = Array.from({ length: count }, () => randomUUID());
  for (let i = 0; i < ids.length; i += 500) {
    await Promise.all(
      ids.slice(i, i + 500).map((id) => store.create({ id, type: "metric", resourceId: "bench-metric", userId: team.user.id, teamId: team.team.id })),
    );
  }
  return {
    team,
    async remove() {
      for (let i = 0; i < ids.length; i += 500) {
        await Promise.all(ids.slice(i, i + 500).map((id) => store.delete({ id, teamId: team.team.id, userId: team.user.id })));
      }
    },
  };
}

async function main() {
  console.log(`[bench] load: ${spawnSync("uptime", { encoding: "utf8" }).stdout.trim()}`);
  const runtime = await startAppRuntime({
    // Production's limits would refuse a hundred exports in a minute from ten users, and the pollers' calls.
    RATE_LIMIT_EXPORTS_PER_USER_PER_MINUTE: "100000",
    RATE_LIMIT_EXPORTS_PER_TEAM_PER_HOUR: "100000",
    RATE_LIMIT_REST_PER_TOKEN_PER_MINUTE: "100000",
    EXPORT_FILE_TTL_SECONDS: "120",
  });
  const { metricRun } = await import("~/server/exports/kinds/metric");
  try {
    // 1. Listing a team with 10,000 jobs.
    const { getJobStore } = await import("~/server/services");
    for (const jobs of [20, bigTeamJobs]) {
      const filled = await teamWithJobs(runtime, jobs);
      try {
        await listJobs(runtime, filled.team);
        const overHttp: number[] = [];
        for (let i = 0; i < listCalls; i++) overHttp.push((await timed(() => listJobs(runtime, filled.team))).ms);
        // The job store's share: the same page read straight from the store, in this process.
        const inStore: number[] = [];
        for (let i = 0; i < listCalls; i++) inStore.push((await timed(() => getJobStore().list({ teamId: filled.team.team.id }, { limit: 20 }))).ms);
        console.log(
          `exports.list on a team with ${jobs.toLocaleString()} jobs, ${listCalls} calls over HTTP: p50 ${ms(percentile(overHttp, 50))}, ` +
            `p95 ${ms(percentile(overHttp, 95))}${jobs === bigTeamJobs ? " (target < 50 ms)" : ""} | the job store's list alone: p50 ${ms(percentile(inStore, 50))}, p95 ${ms(percentile(inStore, 95))}`,
        );
      } finally {
        await filled.remove();
      }
    }

    // 2. A hundred exports at once.
    await seedBenchTable(runtime.sourceDatabaseUrl, rowsPerExport);
    const teams = await Promise.all(Array.from({ length: teamCount }, (_, i) => runtime.newTeam(`bench-load-${i}`)));
    // A metric for each export: the same user downloading the same metric again joins the
    // running export (as Buster's menu needs), which would make a hundred requests ten exports.
    const perTeam = Math.ceil(exportCount / teamCount);
    const metrics = await Promise.all(
      teams.map((team) => Promise.all(Array.from({ length: perTeam }, () => team.metric("POSTGRES", { url: runtime.sourceDatabaseUrl }, benchSelect(rowsPerExport))))),
    );
    // A warm server: the first request of a route loads it.
    await listJobs(runtime, teams[0]!);

    const listLatencies: number[] = [];
    const statusLatencies: number[] = [];
    const pollerErrors: string[] = [];
    let running = true;
    const poller = (async () => {
      for (let i = 0; running; i++) {
        const team = teams[i % teams.length]!;
        try {
          const listed = await timed(() => listJobs(runtime, team));
          listLatencies.push(listed.ms);
          const job = listed.value.find((j) => j.status === "PROCESSING" || j.status === "PENDING") ?? listed.value[0];
          if (job) statusLatencies.push((await timed(() => jobStatus(runtime, team, job.id))).ms);
        } catch (error) {
          // Counted and shown, not fatal: a keep-alive socket the server closed as it was reused fails the call.
          pollerErrors.push(String((error as Error).cause ?? error));
        }
      }
    })();

    let slow = 0;
    const started = performance.now();
    const startedAt = Date.now();
    const toFile = await Promise.all(
      Array.from({ length: exportCount }, async (_, i) => {
        const t = i % teams.length;
        const team = teams[t]!;
        const metric = metrics[t]![Math.floor(i / teams.length)]!;
        const begun = performance.now();
        const answer = await fetch(`${runtime.appUrl}/api/v2/metric_files/${metric.id}/download`, { headers: { authorization: `Bearer ${team.token}` } });
        const body = (await answer.json()) as { downloadUrl: string; rowCount: number };
        let file: Response;
        if (answer.status === 504) {
          // Still running after the REST wait: fetched later by its id, as the answer says.
          const exportId = exportIdIn(body);
          await runtime.waitForJob(team, exportId);
          slow++;
          file = await fetch(`${runtime.appUrl}/api/teams/${team.team.id}/export-jobs/${exportId}?download=true`, { headers: { authorization: `Bearer ${team.token}` } });
        } else {
          if (!answer.ok) throw new Error(`export ${i} answered ${answer.status}: ${JSON.stringify(body)}`);
          if (body.rowCount !== rowsPerExport) throw new Error(`export ${i} has ${body.rowCount} rows, not ${rowsPerExport}`);
          file = await fetch(body.downloadUrl);
        }
        if (!file.ok) throw new Error(`export ${i}'s file answered ${file.status}`);
        const lines = new TextDecoder().decode(await file.arrayBuffer()).split("\r\n").length - 2;
        if (lines !== rowsPerExport) throw new Error(`export ${i}'s file has ${lines} rows, not ${rowsPerExport}`);
        return performance.now() - begun;
      }),
    );
    const seconds = (performance.now() - started) / 1000;
    running = false;
    await poller;

    console.log(
      `${exportCount} exports across ${teamCount} teams at once (${rowsPerExport.toLocaleString()} rows each): all finished in ${seconds.toFixed(1)} s, ` +
        `${((exportCount / seconds) * 60).toFixed(0)} exports/minute; time to file p50 ${ms(percentile(toFile, 50))}, p95 ${ms(percentile(toFile, 95))}` +
        (slow ? `; ${slow} outlasted the REST wait (504) and were fetched by their id` : ""),
    );
    console.log(
      `during the run: exports.list p95 ${ms(percentile(listLatencies, 95))} (${listLatencies.length} calls), ` +
        `REST job status p95 ${ms(percentile(statusLatencies, 95))} (${statusLatencies.length} calls)` +
        (pollerErrors.length ? `; ${pollerErrors.length} failed calls: ${[...new Set(pollerErrors)].join("; ")}` : ""),
    );

    // 3. The per-team concurrency, from the executor's record of each run.
    const teamIds = new Set(teams.map((t) => t.team.id));
    const loadRuns = async () =>
      (await runtime.runsOf("export-metric-data")).filter((r) => teamIds.has(String(r.event.data.teamId)) && Date.parse(r.createdAt) >= startedAt);
    // A run goes on for a step after its job is COMPLETED (scheduling the file's deletion).
    for (const until = Date.now() + 60_000; Date.now() < until; await new Promise((resolve) => setTimeout(resolve, 250))) {
      if ((await loadRuns()).filter((r) => r.endedAt).length === exportCount) break;
    }
    const runs = await loadRuns();
    const limit = metricRun.limits.concurrencyPerTeam;
    // `at` and `ms` are whole milliseconds: a call that starts as another ends could seem to overlap it by one.
    const callsOf = (run: (typeof runs)[number]) =>
      run.history.filter((call) => call.ms !== undefined).map((call) => ({ start: Date.parse(call.at) - call.ms! + 1, end: Date.parse(call.at) }));
    const overlaps = teams.map((team) => maxOverlap(runs.filter((r) => r.event.data.teamId === team.team.id).flatMap(callsOf)));
    const held = overlaps.every((o) => o <= limit);
    const retried = runs.filter((r) => r.history.some((call) => call.status === "retry")).length;
    console.log(
      `per-team concurrency: ${runs.length} runs (${retried} with a retried step), at most ${Math.max(...overlaps)} calls at once in a team (limit ${limit}): ` +
        `${held ? "held" : "BROKEN"}; per team ${overlaps.join(", ")}`,
    );
    const warnings = new Map<string, { count: number; first: AppLogLine }>();
    for (const line of runtime.logs.filter((l) => (l.level === "warn" || l.level === "error") && Date.parse(l.time) >= startedAt)) {
      const seen = warnings.get(line.msg);
      if (seen) seen.count++;
      else warnings.set(line.msg, { count: 1, first: line });
    }
    console.log(
      `server warnings and errors during the run: ${
        warnings.size === 0
          ? "none"
          : [...warnings].map(([msg, { count, first }]) => `${msg} ×${count} (first: ${String(first.reason ?? first.error ?? "").slice(0, 160)})`).join("; ")
      }`,
    );
    if (runs.length !== exportCount) throw new Error(`the executor recorded ${runs.length} runs for ${exportCount} exports`);
    if (!held) throw new Error("the per-team concurrency was not held");
  } finally {
    await runtime.close();
  }
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
