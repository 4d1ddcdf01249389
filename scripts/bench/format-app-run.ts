/**
 * One format through the app, for format-app-bench.ts: a fresh app runtime (app-runtime.ts),
 * so that the server's RSS is this format's alone, then each size's REST downloads
 * (`GET /api/v2/metric_files/:id/download?format=…&compression=…`, Bearer token) from the
 * request to the file on disk, each file read back and its rows counted. The bench tables
 * must be seeded already. Prints one JSON line of figures a size, after its progress.
 *
 * Usage: tsx scripts/bench/format-app-run.ts <format>[.gz] <rows,rows,…> <runs>
 */
import { rmSync } from "node:fs";
import path from "node:path";

import { type AppRuntime, downloadTo, memoryOf, requestRestDownload, sampleRss, startAppRuntime } from "./app-runtime";
import { readBack } from "./read-back";
import { benchSelect } from "./seed-bench-table";

export type AppFormatFigures = {
  fileType: string;
  rows: number;
  /** Median of the runs, request to file on disk. */
  seconds: number;
  runs: number[];
  /** The file's bytes as downloaded (compressed for .gz). */
  fileBytes: number;
  /** The format's bytes before compression, read back from the file. */
  formatBytes: number;
  serverIdleMb: number;
  serverPeakMb: number;
};

type Team = Awaited<ReturnType<AppRuntime["newTeam"]>>;

const WARM_UP_ROWS = 1_000;

const [fileType = "", sizesArg = "", runsArg = "1"] = process.argv.slice(2);
const [format, compressed] = fileType.split(".");
const search = new URLSearchParams({ format: format!, ...(compressed === "gz" ? { compression: "gzip" } : {}) });

/**
 * One download of `sql`: seconds from the request to the file on disk, its rows read back.
 * Each is a metric of its own, since a repeat of the same request joins the export it repeats
 * while that export's file is kept (start-export.ts) and would measure nothing.
 */
async function download(runtime: AppRuntime, team: Team, sql: string, rows: number) {
  const metric = await team.metric("POSTGRES", { url: runtime.sourceDatabaseUrl }, sql);
  const started = performance.now();
  const body = await requestRestDownload(runtime.appUrl, team.token, metric.id, search.toString());
  const target = path.join(runtime.dir, `app-${body.exportId}.${fileType}`);
  await downloadTo(body.downloadUrl, target);
  const seconds = (performance.now() - started) / 1000;
  try {
    const read = await readBack(target, fileType);
    if (read.rows !== rows || body.rowCount !== rows) throw new Error(`${fileType}: the file holds ${read.rows} rows and the app reported ${body.rowCount}, not ${rows}`);
    return { seconds, fileBytes: body.fileSize, formatBytes: read.bytes };
  } finally {
    rmSync(target);
  }
}

async function main() {
  const sizes = sizesArg.split(",").map(Number);
  const runs = Number(runsArg);
  // A run starts a dozen exports as one user within minutes; production's limit is 10 a minute.
  const runtime = await startAppRuntime({ RATE_LIMIT_EXPORTS_PER_USER_PER_MINUTE: "1000", RATE_LIMIT_EXPORTS_PER_TEAM_PER_HOUR: "10000" });
  try {
    const team = await runtime.newTeam(`bench-${fileType}`);
    // The first request through a fresh server loads the route, the driver and the writer: a
    // small export, not measured. The RSS after it is every size's idle figure.
    await download(runtime, team, `${benchSelect(sizes[0]!)} LIMIT ${WARM_UP_ROWS}`, WARM_UP_ROWS);
    const serverIdleMb = (await memoryOf(runtime.serverPid)).rssMb;
    for (const rows of sizes) {
      const sampler = sampleRss(runtime.serverPid);
      const measured = [];
      for (let run = 0; run < runs; run++) measured.push(await download(runtime, team, benchSelect(rows), rows));
      const serverPeakMb = await sampler.stop();
      const median = [...measured].sort((a, b) => a.seconds - b.seconds)[Math.floor(measured.length / 2)]!;
      const figures: AppFormatFigures = {
        fileType,
        rows,
        seconds: median.seconds,
        runs: measured.map((m) => m.seconds),
        fileBytes: median.fileBytes,
        formatBytes: median.formatBytes,
        serverIdleMb,
        serverPeakMb,
      };
      process.stdout.write(`${JSON.stringify(figures)}\n`);
    }
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
