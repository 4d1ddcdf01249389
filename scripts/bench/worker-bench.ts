/**
 * The isolated-worker half of `npm run bench:export` (export-bench.ts runs it after the app's
 * figures; alone: `tsx scripts/bench/worker-bench.ts`): a full metric export through the real
 * function (local executor, serve handler in a compiled worker process of its own, PostgreSQL
 * COPY → CSV framing → multipart upload to s3rver), at 100,000 and 1,000,000 rows, against `psql \copy … csv header` on the same table.
 * Prints rows/s, MB/s, the worker's peak RSS, and the ratio to psql.
 */
import { psqlCopy } from "./baselines";
import { startBenchRuntime } from "./bench-runtime";
import { benchSelect, seedBenchTable } from "./seed-bench-table";

const sizes = (process.env.BENCH_ROWS ?? "100000,1000000").split(",").map(Number);

async function main() {
  const runtime = await startBenchRuntime();
  const { db } = await import("~/server/db");
  const { sealJson } = await import("~/server/vault");
  const { createMetric } = await import("~/server/metrics/metrics");
  const { startExport } = await import("~/server/exports/start-export");
  const { metricKind } = await import("~/server/exports/kinds/metric");
  const { inngestExportQueue } = await import("~/server/jobs/inngest-export-queue");
  const { waitForExport } = await import("~/server/exports/manage-export");
  const source = await db.dataSource.create({
    data: { teamId: runtime.team.id, name: "bench", type: "POSTGRES", encryptedCredentials: sealJson({ url: runtime.sourceDatabaseUrl }, runtime.env.VAULT_KEY!) },
  });

  const results = [];
  for (const rows of sizes) {
    process.stdout.write(`seeding ${rows.toLocaleString()} rows… `);
    await seedBenchTable(runtime.sourceDatabaseUrl, rows);
    console.log("done");
    const metric = await createMetric(runtime.team.id, { dataSourceId: source.id, name: `bench ${rows}`, sql: benchSelect(rows) });
    const worker = await runtime.startWorker();

    const started = process.hrtime.bigint();
    const job = await startExport(inngestExportQueue, { userId: runtime.user.id, teamId: runtime.team.id, channel: "CLIENT" }, metricKind, { metricId: metric.id }, { format: "csv" });
    const done = await waitForExport(runtime.team.id, job.id, { timeoutMs: 10 * 60_000 });
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    if (done.status !== "COMPLETED" || !done.file) throw new Error(`export ${done.status}: ${done.error}`);
    const rss = await worker.stop();

    const baseline = psqlCopy(runtime.sourceDatabaseUrl, benchSelect(rows), runtime.dir);
    results.push({ rows, seconds, rss, baseline });
    console.log(
      `${rows.toLocaleString().padStart(9)} rows: ${seconds.toFixed(2)} s, ${Math.round(rows / seconds).toLocaleString()} rows/s, ` +
        `${(done.file.size / 1e6 / seconds).toFixed(1)} MB/s, worker peak RSS ${rss.toFixed(0)} MB | psql \\copy ${baseline.seconds.toFixed(2)} s → ratio ${(seconds / baseline.seconds).toFixed(2)}×`,
    );
  }

  if (results.length > 1) {
    const [small, large] = [results[0]!, results.at(-1)!];
    console.log(`peak RSS ${large.rows.toLocaleString()} vs ${small.rows.toLocaleString()} rows: ${large.rss.toFixed(0)} MB vs ${small.rss.toFixed(0)} MB (${(((large.rss - small.rss) / small.rss) * 100).toFixed(1)}%; target < 200 MB and within 20%)`);
    console.log(`end-to-end vs psql \\copy at ${large.rows.toLocaleString()} rows: ${(large.seconds / large.baseline.seconds).toFixed(2)}× (target ≤ 2.5×)`);
  }
  await runtime.close();
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
