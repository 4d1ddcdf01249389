/**
 * npm run bench:export — a full metric export through the real function (local executor,
 * serve handler in a worker process, PostgreSQL cursor → CSV → multipart upload to s3rver),
 * at 100,000 and 1,000,000 rows, against `psql \copy … csv header` on the same table.
 * Prints rows/s, MB/s, the worker's peak RSS, and the ratio to psql.
 */
import { spawn, spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, statSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

import { migrate } from "../db-migrate";
import { startLocalInngest } from "../../dev/local-inngest";
import { startS3rver } from "../../dev/s3rver";
import { benchSelect, seedBenchTable } from "./seed-bench-table";

const DATABASE_URL = process.env.BENCH_DATABASE_URL ?? "postgresql://postgres@127.0.0.1:5432/export_center_bench";
const sizes = (process.env.BENCH_ROWS ?? "100000,1000000").split(",").map(Number);
const dir = mkdtempSync(path.join(tmpdir(), "bench-export-"));

async function peakRssMb(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, "utf8");
  const kb = Number(/VmHWM:\s+(\d+)/.exec(status)?.[1] ?? 0);
  return kb / 1024;
}

function psqlBaseline(rows: number): { seconds: number; bytes: number } {
  const file = path.join(dir, `psql-${rows}.csv`);
  const started = process.hrtime.bigint();
  const result = spawnSync("psql", [DATABASE_URL, "-q", "-c", `\\copy (${benchSelect(rows)}) to '${file}' csv header`], { stdio: "inherit" });
  if (result.status !== 0) throw new Error("psql \\copy failed");
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const bytes = statSync(file).size;
  rmSync(file);
  return { seconds, bytes };
}

async function main() {
  const s3 = await startS3rver({ directory: path.join(dir, "s3"), bucket: "bench-exports" });
  const executorPort = 8390;
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    NODE_ENV: "production",
    DATABASE_URL,
    REDIS_URL: process.env.REDIS_URL ?? "redis://127.0.0.1:6379/6",
    VAULT_KEY: "b".repeat(64),
    AUTH_SECRET: "bench-secret-bench-secret",
    S3_ENDPOINT: s3.endpoint,
    S3_ACCESS_KEY_ID: "S3RVER",
    S3_SECRET_ACCESS_KEY: "S3RVER",
    S3_BUCKET: "bench-exports",
    S3_FORCE_PATH_STYLE: "true",
    INNGEST_DEV: "1",
    INNGEST_BASE_URL: `http://127.0.0.1:${executorPort}`,
    EXPORT_FILE_TTL_SECONDS: "5",
  };
  Object.assign(process.env, env);
  await migrate(DATABASE_URL);
  const { db } = await import("~/server/db");
  const { sealJson } = await import("~/server/vault");
  const { startMetricExport } = await import("~/server/exports/start-export");
  const { waitForExport } = await import("~/server/exports/manage-export");

  const team = await db.team.create({ data: { name: `bench-${Date.now()}` } });
  const user = await db.user.create({ data: { email: `bench-${Date.now()}@example.test` } });
  await db.membership.create({ data: { teamId: team.id, userId: user.id, role: "OWNER" } });
  const source = await db.dataSource.create({
    data: { teamId: team.id, name: "bench", type: "POSTGRES", encryptedCredentials: sealJson({ url: DATABASE_URL }, env.VAULT_KEY!) },
  });

  const results = [];
  for (const rows of sizes) {
    process.stdout.write(`seeding ${rows.toLocaleString()} rows… `);
    await seedBenchTable(DATABASE_URL, rows);
    console.log("done");
    const metric = await db.metric.create({ data: { teamId: team.id, dataSourceId: source.id, name: `bench ${rows}`, sql: benchSelect(rows) } });

    const workerScript = fileURLToPath(new URL("./export-worker.ts", import.meta.url));
    const worker = spawn(process.execPath, ["--import", "tsx", workerScript], { env, stdio: ["ignore", "pipe", "inherit"] });
    const port = await new Promise<number>((resolve, reject) => {
      worker.stdout.on("data", (chunk: Buffer) => {
        const match = /ready (\d+)/.exec(chunk.toString());
        if (match) resolve(Number(match[1]));
      });
      worker.once("exit", (code) => reject(new Error(`worker exited with ${code}`)));
    });
    const executor = await startLocalInngest({ port: executorPort, appUrls: [`http://127.0.0.1:${port}/api/inngest`], dataDir: path.join(dir, `executor-${rows}`), log: () => {} });
    await executor.sync();

    const started = process.hrtime.bigint();
    const job = await startMetricExport({ userId: user.id, teamId: team.id, channel: "CLIENT" }, metric.id);
    const done = await waitForExport(team.id, job.id, { timeoutMs: 10 * 60_000, pollMs: 50 });
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    if (done.status !== "COMPLETED" || !done.file) throw new Error(`export ${done.status}: ${done.error}`);
    const rss = await peakRssMb(worker.pid!);
    worker.kill();
    await executor.close();

    const baseline = psqlBaseline(rows);
    results.push({ rows, seconds, bytes: done.file.size, rss, baseline });
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
  await s3.close();
  const { getRedis } = await import("~/server/services");
  await getRedis().close();
  await db.$disconnect();
  rmSync(dir, { recursive: true, force: true });
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
