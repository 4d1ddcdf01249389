/**
 * The formats through the app, as users get them: for each file type, a fresh app runtime
 * (format-app-run.ts, a process of its own) answering the REST download with
 * `?format=…&compression=…` at each size (BENCH_ROWS), BENCH_FORMAT_RUNS (1) times a size.
 * Prints wall time from the request to the file on disk, MB/s of the bytes the format wrote
 * (for gzip, of the uncompressed bytes, with the compressed size beside), the server's peak
 * RSS over its idle figure, and each format's ratio to CSV's time at the same size.
 */
import { spawn } from "node:child_process";
import { createInterface } from "node:readline";

import { ensureDatabase } from "../db-migrate";
import { benchDatabases } from "./bench-env";
import type { AppFormatFigures } from "./format-app-run";
import { seedBenchTable } from "./seed-bench-table";

const mb = (bytes: number) => (bytes / 1e6).toFixed(1);

function runFormat(fileType: string, sizes: number[], runs: number, onFigures: (figures: AppFormatFigures) => void): Promise<void> {
  const child = spawn(process.execPath, ["--import", "tsx", "scripts/bench/format-app-run.ts", fileType, sizes.join(","), String(runs)], {
    stdio: ["ignore", "pipe", "inherit"],
  });
  const lines = createInterface({ input: child.stdout });
  lines.on("line", (line) => {
    if (line.startsWith('{"fileType"')) onFigures(JSON.parse(line) as AppFormatFigures);
    else console.log(line);
  });
  return new Promise((resolve, reject) =>
    child.once("exit", (code, signal) => (code === 0 ? resolve() : reject(new Error(`${fileType} through the app failed (exit ${code ?? signal})`)))),
  );
}

function print(f: AppFormatFigures, csvSeconds: number | undefined) {
  const size = f.fileType.endsWith(".gz")
    ? `${mb(f.fileBytes)} MB gzip of ${mb(f.formatBytes)} MB, ${mb(f.formatBytes / f.seconds)} MB/s uncompressed (${mb(f.fileBytes / f.seconds)} MB/s compressed)`
    : `${mb(f.fileBytes)} MB, ${mb(f.fileBytes / f.seconds)} MB/s`;
  const runs = f.runs.length > 1 ? ` (runs ${f.runs.map((r) => r.toFixed(2)).join(", ")})` : "";
  console.log(
    `${f.fileType.padEnd(8)} ${f.rows.toLocaleString("en").padStart(9)} rows: ${f.seconds.toFixed(2)} s${runs}, ${size}, ` +
      `server RSS ${f.serverIdleMb.toFixed(0)} → peak ${f.serverPeakMb.toFixed(0)} MB (+${(f.serverPeakMb - f.serverIdleMb).toFixed(0)}), ` +
      `${csvSeconds ? (f.seconds / csvSeconds).toFixed(2) : "?"}× CSV's time`,
  );
}

/** `fileTypes` start with csv, whose times the ratios are to. */
export async function runFormatsThroughApp(fileTypes: string[], sizes: number[]): Promise<void> {
  const runs = Number(process.env.BENCH_FORMAT_RUNS ?? 1);
  const { sourceDatabaseUrl } = benchDatabases();
  await ensureDatabase(sourceDatabaseUrl);
  for (const rows of sizes) await seedBenchTable(sourceDatabaseUrl, rows);
  console.log(`[bench] formats through the app: REST download, a fresh server a format, ${runs} run(s) a size`);

  const csvSeconds = new Map<number, number>();
  const results = new Map<string, AppFormatFigures[]>();
  for (const fileType of fileTypes) {
    await runFormat(fileType, sizes, runs, (figures) => {
      if (fileType === "csv") csvSeconds.set(figures.rows, figures.seconds);
      results.set(fileType, [...(results.get(fileType) ?? []), figures]);
      print(figures, csvSeconds.get(figures.rows));
    });
  }

  if (sizes.length < 2) return;
  for (const [fileType, figures] of results) {
    const [small, large] = [figures[0]!, figures.at(-1)!];
    const growth = ((large.serverPeakMb - small.serverPeakMb) / small.serverPeakMb) * 100;
    const rise = large.serverPeakMb - large.serverIdleMb;
    const met = growth <= 20 && rise <= 250;
    console.log(
      `${fileType.padEnd(8)} server peak ${large.serverPeakMb.toFixed(0)} MB at ${large.rows.toLocaleString("en")} rows vs ${small.serverPeakMb.toFixed(0)} MB ` +
        `(${growth.toFixed(1)}%), +${rise.toFixed(0)} MB over idle: ${met ? "within" : "OUTSIDE"} the goal (≤ 20% and ≤ 250 MB over idle)`,
    );
  }
}
