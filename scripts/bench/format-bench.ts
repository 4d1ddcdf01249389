/**
 * The isolated-worker half of `npm run bench:export -- --format xlsx|parquet|jsonl|csv|all`
 * (a comma-separated list too), after the app's (format-app-bench.ts): each format at 100,000
 * and 1,000,000 rows (BENCH_ROWS) of the bench table, each run in a compiled worker process of
 * its own (format-bench-worker.ts), with the server's V8 flags (server-node-flags.ts), so that
 * its peak RSS is the format's alone. Prints wall time, MB/s, peak RSS and where it sits (heap
 * or ArrayBuffers), the ratio of each format's time to CSV's in the same run, and the memory
 * goal: RSS at the largest size within 20% of the smallest's and under 250 MB.
 *
 * It measures the source and the encoder, not the upload: the bytes are counted and dropped.
 */
import { spawnSync } from "node:child_process";

import { ensureDatabase } from "../db-migrate";
import { serverNodeFlags } from "../server-node-flags";
import { compileBenchWorker } from "./bench-runtime";
import { seedBenchTable } from "./seed-bench-table";

/** The file types the benchmark can run, by the name --format takes: a format, or a format and gzip. */
const benchFormats = ["csv", "csv.gz", "xlsx", "parquet", "jsonl", "jsonl.gz"] as const;

type Figures = { seconds: number; bytes: number; rows: number; peakRssMb: number; heapTotalMb: number; heapUsedMb: number; externalMb: number; arrayBuffersMb: number };

export function chosenFormats(argument: string): string[] {
  const names = argument === "all" ? [...benchFormats] : argument.split(",");
  const unknown = names.filter((name) => !(benchFormats as readonly string[]).includes(name));
  if (unknown.length > 0) throw new Error(`Unknown format ${unknown.join(", ")}; choose from ${benchFormats.join(", ")} or all`);
  // CSV runs too, whatever was asked for: every ratio is to CSV's time in the same run.
  return ["csv", ...names.filter((name) => name !== "csv")];
}

export async function runFormatBench(formatArgument: string): Promise<void> {
  const formats = chosenFormats(formatArgument);
  const sizes = (process.env.BENCH_ROWS ?? "100000,1000000").split(",").map(Number);
  const appUrl = process.env.BENCH_DATABASE_URL ?? "postgresql://postgres@127.0.0.1:5432/export_center_bench";
  const source = new URL(appUrl);
  source.pathname = `${source.pathname}_source`;
  const sourceUrl = source.toString();
  await ensureDatabase(sourceUrl);
  const worker = await compileBenchWorker("format-bench-worker");

  const results = new Map<string, Figures[]>(formats.map((f) => [f, []]));
  for (const rows of sizes) {
    process.stdout.write(`seeding ${rows.toLocaleString("en")} rows… `);
    await seedBenchTable(sourceUrl, rows);
    console.log("done");
    let csvSeconds = NaN;
    for (const format of formats) {
      const run = spawnSync(process.execPath, [...serverNodeFlags, worker, format, String(rows), sourceUrl, appUrl], { encoding: "utf8", env: { ...process.env, NODE_ENV: "production" }, maxBuffer: 1 << 20 });
      if (run.status !== 0) throw new Error(`${format} at ${rows} rows failed:\n${run.stderr}`);
      const figures = JSON.parse(run.stdout.trim().split("\n").at(-1)!) as Figures;
      if (figures.rows !== rows) throw new Error(`${format} wrote ${figures.rows} rows, not ${rows}`);
      results.get(format)!.push(figures);
      if (format === "csv") csvSeconds = figures.seconds;
      console.log(
        `${format.padEnd(8)} ${rows.toLocaleString("en").padStart(9)} rows: ${figures.seconds.toFixed(2)} s, ` +
          `${(figures.bytes / 1e6).toFixed(1)} MB, ${(figures.bytes / 1e6 / figures.seconds).toFixed(1)} MB/s, ` +
          `peak RSS ${figures.peakRssMb.toFixed(0)} MB (heap ${figures.heapUsedMb.toFixed(0)} used of ${figures.heapTotalMb.toFixed(0)}, ` +
          `external ${figures.externalMb.toFixed(0)}, of it ArrayBuffers ${figures.arrayBuffersMb.toFixed(0)}), ${(figures.seconds / csvSeconds).toFixed(2)}× CSV's time`,
      );
    }
  }

  if (sizes.length > 1) {
    for (const [format, runs] of results) {
      const [small, large] = [runs[0]!, runs.at(-1)!];
      const growth = ((large.peakRssMb - small.peakRssMb) / small.peakRssMb) * 100;
      const met = growth <= 20 && large.peakRssMb <= 250;
      console.log(
        `${format.padEnd(8)} peak RSS ${large.peakRssMb.toFixed(0)} MB vs ${small.peakRssMb.toFixed(0)} MB (${growth.toFixed(1)}%): ` +
          `${met ? "within" : "OUTSIDE"} the goal (≤ 20% and ≤ 250 MB)`,
      );
    }
  }
}
