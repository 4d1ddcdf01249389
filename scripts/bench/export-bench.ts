/**
 * npm run bench:export — metric exports as users get them: the REST download
 * (`GET /api/v2/metric_files/:id/download`, Bearer token) against the built app served as
 * `npm start` serves it (app-runtime.ts), from the request to the file fetched from its
 * presigned link and written to disk. Each size runs BENCH_RUNS times (3), alternating with the
 * database's own client writing the same query to a file (psql `\copy … csv header`,
 * `mysql --batch -e … > file`); the medians and their ratio are printed.
 *
 *   BENCH_ROWS=100000,1000000   PostgreSQL sizes (the benchmark's 10-column table)
 *   BENCH_MYSQL_ROWS=1000000    MySQL/MariaDB sizes ('' to skip), at BENCH_MYSQL_URL
 *   BENCH_WORKER=0              skip the isolated-worker figures (worker-bench.ts) that follow
 *
 * `--format csv|csv.gz|xlsx|parquet|jsonl|jsonl.gz|all` (or a list) measures the file formats
 * instead: through the app (format-app-bench.ts), then in the isolated worker (format-bench.ts).
 *
 * Where the time goes (the median run's breakdown):
 *   queue   request → the produce step starts (auth, job, event, executor, load step); executor run history
 *   query   the adapter reading every row, alone (measured once here in the benchmark's process)
 *   encode  the same read through the CSV format, minus `query`
 *   upload  the produce step's time (executor history) minus query and encode: what streaming to storage adds
 *   settle  the produce step's end → the REST answer (complete step, the REST wait's poll)
 *   fetch   the REST answer → the file on disk from its presigned link
 * CPU: the seconds of CPU the server and s3rver used during the median run's download.
 * Memory: the server's and the executor's VmRSS, sampled every 50 ms during the largest size's
 * exports, against their VmRSS just before them (idle, warmed up).
 */
import { spawnSync } from "node:child_process";
import { rmSync } from "node:fs";
import path from "node:path";

import { type AppRuntime, cpuSecondsOf, downloadTo, memoryOf, requestRestDownload, sampleRss, startAppRuntime } from "./app-runtime";
import { type Baseline, mysqlBatch, psqlCopy } from "./baselines";
import { runFormatsThroughApp } from "./format-app-bench";
import { chosenFormats, runFormatBench } from "./format-bench";
import { seedMysqlBenchTable } from "./seed-bench-mysql";
import { benchSelect, seedBenchTable } from "./seed-bench-table";

const list = (text: string) => text.split(",").filter(Boolean).map(Number);
const pgSizes = list(process.env.BENCH_ROWS ?? "100000,1000000");
const mysqlSizes = list(process.env.BENCH_MYSQL_ROWS ?? "1000000");
const runs = Number(process.env.BENCH_RUNS ?? 3);
const mysqlUrl = process.env.BENCH_MYSQL_URL ?? "mysql://root@127.0.0.1:3306/export_center_bench";

type Source = "POSTGRES" | "MYSQL";
type Breakdown = { queue: number; query: number; encode: number; upload: number; settle: number; fetch: number };
type AppRun = {
  seconds: number;
  bytes: number;
  rows: number;
  produceMs: number;
  queueMs: number;
  settleMs: number;
  fetchMs: number;
  /** CPU seconds the server and s3rver used during the download. */
  cpu: { server: number; s3rver: number };
};

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
const s = (ms: number) => `${(ms / 1000).toFixed(2)} s`;

type Team = Awaited<ReturnType<AppRuntime["newTeam"]>>;
type Metric = Awaited<ReturnType<Team["metric"]>>;

/** One REST download, from the request to the file on disk. */
async function downloadThroughApp(runtime: AppRuntime, team: Team, metric: Metric): Promise<AppRun> {
  const startedAt = Date.now();
  const started = performance.now();
  const cpuBefore = { server: cpuSecondsOf(runtime.serverPid), s3rver: cpuSecondsOf(runtime.s3rverPid) };
  const body = await requestRestDownload(runtime.appUrl, team.token, metric.id);
  const answeredAt = Date.now();
  const target = path.join(runtime.dir, `app-${body.exportId}.csv`);
  await downloadTo(body.downloadUrl, target);
  const seconds = (performance.now() - started) / 1000;
  const endedAt = Date.now();
  const cpu = { server: cpuSecondsOf(runtime.serverPid) - cpuBefore.server, s3rver: cpuSecondsOf(runtime.s3rverPid) - cpuBefore.s3rver };
  rmSync(target);

  const run = (await runtime.runsOf("export-metric-data")).find((r) => r.event.data.exportId === body.exportId);
  const produce = run?.history.find((step) => step.name === "query and upload" && step.status === "ok");
  if (!produce?.ms) throw new Error(`no produce step in the executor's history of export ${body.exportId}`);
  const produceEnd = Date.parse(produce.at);
  const produceStart = produceEnd - produce.ms;
  return {
    seconds,
    bytes: body.fileSize,
    rows: body.rowCount,
    produceMs: produce.ms,
    queueMs: produceStart - startedAt,
    settleMs: answeredAt - produceEnd,
    fetchMs: endedAt - answeredAt,
    cpu,
  };
}

/** Seconds to read every row of `sql` through the source's adapter, and through the CSV format too. */
async function readAlone(teamId: string, dataSourceId: string, sql: string): Promise<{ queryMs: number; encodeMs: number }> {
  const { openDataSource } = await import("~/server/data-sources/data-sources");
  const { exportFormats } = await import("~/server/exports/formats");
  const { exportLimits } = await import("~/server/exports/export-limits");
  const { maxRows, maxBytes, statementTimeoutMs } = exportLimits();
  const timed = async (encode: boolean) => {
    const adapter = await openDataSource(teamId, dataSourceId);
    try {
      const started = performance.now();
      const query = { sql, maxRows, statementTimeoutMs };
      const rules = exportFormats.csv.databaseEncoding;
      const result = adapter.queryCsv && rules ? await adapter.queryCsv(query, rules) : await adapter.query(query);
      const chunks: AsyncIterable<unknown> = encode
        ? exportFormats.csv.encode(result, { maxRows, maxBytes, onProgress: () => {} }).body
        : "csvRecords" in result
          ? result.csvRecords
          : result.batches;
      for await (const _ of chunks) void _;
      return performance.now() - started;
    } finally {
      await adapter.close();
    }
  };
  const queryMs = await timed(false);
  const encodeMs = await timed(true);
  return { queryMs, encodeMs: Math.max(0, encodeMs - queryMs) };
}

function breakdownOf(run: AppRun, alone: { queryMs: number; encodeMs: number }): Breakdown {
  return {
    queue: run.queueMs,
    query: alone.queryMs,
    encode: alone.encodeMs,
    upload: run.produceMs - alone.queryMs - alone.encodeMs,
    settle: run.settleMs,
    fetch: run.fetchMs,
  };
}

type Measured = { source: Source; rows: number; app: AppRun; baseline: Baseline; ratio: number; breakdown: Breakdown; memory?: MemoryFigures };
type MemoryFigures = { server: { idle: number; peak: number }; executor: { idle: number; peak: number } };

async function measure(
  runtime: AppRuntime,
  team: Team,
  newMetric: () => Promise<Metric>,
  source: Source,
  rows: number,
  baseline: () => Baseline,
  withMemory: boolean,
): Promise<Measured> {
  const idle = withMemory ? { server: (await memoryOf(runtime.serverPid)).rssMb, executor: (await memoryOf(runtime.executorPid)).rssMb } : undefined;
  const samplers = withMemory ? { server: sampleRss(runtime.serverPid), executor: sampleRss(runtime.executorPid) } : undefined;
  const appRuns: AppRun[] = [];
  const baselines: Baseline[] = [];
  // A metric a run: the same download again would join the export before it while its file lives.
  const metrics: Metric[] = [];
  for (let i = 0; i < runs; i++) metrics.push(await newMetric());
  for (const metric of metrics) {
    appRuns.push(await downloadThroughApp(runtime, team, metric));
    baselines.push(baseline());
  }
  const memory =
    idle && samplers
      ? { server: { idle: idle.server, peak: await samplers.server.stop() }, executor: { idle: idle.executor, peak: await samplers.executor.stop() } }
      : undefined;
  const app = appRuns.find((r) => r.seconds === median(appRuns.map((a) => a.seconds)))!;
  const base = baselines.find((b) => b.seconds === median(baselines.map((x) => x.seconds)))!;
  if (app.rows !== rows) throw new Error(`the app's file has ${app.rows} rows, not ${rows}`);
  const breakdown = breakdownOf(app, await readAlone(team.team.id, metrics[0]!.dataSource.id, metrics[0]!.sql));
  const result: Measured = { source, rows, app, baseline: base, ratio: app.seconds / base.seconds, breakdown, memory };
  print(result, appRuns, baselines);
  return result;
}

function print(m: Measured, appRuns: AppRun[], baselines: Baseline[]) {
  const client = m.source === "POSTGRES" ? "psql \\copy" : "mysql --batch";
  const all = (values: number[]) => values.map((v) => v.toFixed(2)).join(", ");
  console.log(
    `${m.source.padEnd(8)} ${m.rows.toLocaleString().padStart(9)} rows: app ${m.app.seconds.toFixed(2)} s (runs ${all(appRuns.map((r) => r.seconds))}), ` +
      `${Math.round(m.rows / m.app.seconds).toLocaleString()} rows/s, ${(m.app.bytes / 1e6).toFixed(1)} MB | ` +
      `${client} ${m.baseline.seconds.toFixed(2)} s (runs ${all(baselines.map((b) => b.seconds))}) → ratio ${m.ratio.toFixed(2)}×`,
  );
  const b = m.breakdown;
  console.log(`         breakdown: queue ${s(b.queue)}, query ${s(b.query)}, encode ${s(b.encode)}, upload ${s(b.upload)}, settle ${s(b.settle)}, fetch ${s(b.fetch)}`);
  console.log(`         CPU during the download: server ${m.app.cpu.server.toFixed(2)} s, s3rver ${m.app.cpu.s3rver.toFixed(2)} s`);
  if (m.memory) {
    const { server, executor } = m.memory;
    console.log(
      `         RSS during these exports: server ${server.idle.toFixed(0)} → peak ${server.peak.toFixed(0)} MB (+${(server.peak - server.idle).toFixed(0)} MB; target ≤ 200), ` +
        `executor ${executor.idle.toFixed(0)} → ${executor.peak.toFixed(0)} MB (+${(executor.peak - executor.idle).toFixed(0)} MB)`,
    );
  }
}

async function main() {
  console.log(`[bench] load: ${spawnSync("uptime", { encoding: "utf8" }).stdout.trim()}`);
  // A run starts a dozen exports as one user within a minute or two; production's limit is 10 a minute.
  const runtime = await startAppRuntime({ RATE_LIMIT_EXPORTS_PER_USER_PER_MINUTE: "1000", RATE_LIMIT_EXPORTS_PER_TEAM_PER_HOUR: "10000" });
  const results: Measured[] = [];
  try {
    const team = await runtime.newTeam("bench-export");
    for (const [source, sizes] of [
      ["POSTGRES", pgSizes],
      ["MYSQL", mysqlSizes],
    ] as const) {
      for (const rows of sizes) {
        process.stdout.write(`[bench] seeding ${source} ${rows.toLocaleString()} rows… `);
        if (source === "POSTGRES") await seedBenchTable(runtime.sourceDatabaseUrl, rows);
        else await seedMysqlBenchTable(mysqlUrl, rows);
        console.log("done");
        const credentials = source === "POSTGRES" ? { url: runtime.sourceDatabaseUrl } : { url: mysqlUrl };
        const newMetric = () => team.metric(source, credentials, benchSelect(rows));
        // The first request through a fresh server loads the route and the driver: not measured.
        if (results.length === 0 || rows === sizes[0]) await downloadThroughApp(runtime, team, await newMetric());
        const baseline = source === "POSTGRES" ? () => psqlCopy(runtime.sourceDatabaseUrl, benchSelect(rows), runtime.dir) : () => mysqlBatch(mysqlUrl, benchSelect(rows), runtime.dir);
        results.push(await measure(runtime, team, newMetric, source, rows, baseline, rows === Math.max(...sizes)));
      }
    }
  } finally {
    await runtime.close();
  }
  for (const m of results.filter((r) => r.rows === Math.max(...results.filter((x) => x.source === r.source).map((x) => x.rows)))) {
    console.log(`[bench] ${m.source} ${m.rows.toLocaleString()} rows through the app: ${m.ratio.toFixed(2)}× its client (target ≤ 2.0×)`);
  }
  if (process.env.BENCH_WORKER !== "0") {
    console.log("[bench] the isolated worker (worker-bench.ts):");
    const worker = spawnSync(process.execPath, ["--import", "tsx", "scripts/bench/worker-bench.ts"], { stdio: "inherit" });
    if (worker.status !== 0) throw new Error(`worker-bench failed (exit ${worker.status ?? worker.signal})`);
  }
}

/**
 * `--format <name>` instead: each format through the app (format-app-bench.ts), then each in
 * the isolated worker (format-bench.ts, skip with BENCH_WORKER=0), which shows where time goes.
 */
async function formats(argument: string) {
  console.log(`[bench] load: ${spawnSync("uptime", { encoding: "utf8" }).stdout.trim()}`);
  await runFormatsThroughApp(chosenFormats(argument), pgSizes);
  if (process.env.BENCH_WORKER !== "0") {
    console.log("[bench] each format in the isolated worker (format-bench.ts):");
    await runFormatBench(argument);
  }
}

const formatArgument = process.argv[process.argv.indexOf("--format") + 1];

(process.argv.includes("--format") ? formats(formatArgument ?? "all") : main()).then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
