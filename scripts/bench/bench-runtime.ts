/**
 * What both benchmarks run on: s3rver, the local executor, and the app's Inngest functions in
 * a worker process of their own, so the worker's peak RSS (VmHWM) is the export's alone.
 *
 * The worker runs compiled, as production runs the app (`next build`): under tsx, its loader
 * thread and on-the-fly transforms add some 40 MB that no deployment pays.
 */
import { spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

import { build } from "esbuild";

import { ensureDatabase, migrate } from "../db-migrate";
import { startLocalInngest } from "../../dev/local-inngest";
import { startS3rver } from "../../dev/s3rver";
import { serverNodeFlags } from "../server-node-flags";
import { benchDatabases, benchEnv } from "./bench-env";

/** BENCH_WORKER_EXECUTOR_PORT moves it, so that two checkouts can run the benchmark side by side. */
const EXECUTOR_PORT = Number(process.env.BENCH_WORKER_EXECUTOR_PORT ?? 8390);

/**
 * Compiles a benchmark worker (`scripts/bench/<name>.ts`) next to node_modules, where its
 * package imports resolve. Splitting keeps each data-source driver in a chunk of its own,
 * loaded on first use as the app loads it; one bundle would import every driver at start.
 */
export async function compileBenchWorker(name: string): Promise<string> {
  const outdir = path.resolve(".local/bench", name);
  rmSync(outdir, { recursive: true, force: true });
  mkdirSync(outdir, { recursive: true });
  await build({
    entryPoints: { [name]: fileURLToPath(new URL(`./${name}.ts`, import.meta.url)) },
    outdir,
    outExtension: { ".js": ".mjs" },
    splitting: true,
    bundle: true,
    packages: "external",
    platform: "node",
    format: "esm",
    target: "node20",
    tsconfig: "tsconfig.json",
    logLevel: "warning",
  });
  return path.join(outdir, `${name}.mjs`);
}

export async function startBenchRuntime(extraEnv: Record<string, string> = {}) {
  const dir = mkdtempSync(path.join(tmpdir(), "bench-"));
  const s3 = await startS3rver({ directory: path.join(dir, "s3"), bucket: "bench-exports" });
  const { databaseUrl, sourceDatabaseUrl } = benchDatabases();
  const env: NodeJS.ProcessEnv = {
    ...benchEnv({ appUrl: "http://127.0.0.1:3000", s3Endpoint: s3.endpoint, executorUrl: `http://127.0.0.1:${EXECUTOR_PORT}` }),
    EXPORT_FILE_TTL_SECONDS: "5",
    ...extraEnv,
  };
  Object.assign(process.env, env);
  await migrate(databaseUrl);
  await ensureDatabase(sourceDatabaseUrl);
  const workerScript = await compileBenchWorker("export-worker");

  const { db } = await import("~/server/db");
  const team = await db.team.create({ data: { name: `bench-${Date.now()}` } });
  const user = await db.user.create({ data: { email: `bench-${Date.now()}@example.test` } });
  await db.membership.create({ data: { teamId: team.id, userId: user.id, role: "OWNER" } });

  return {
    databaseUrl,
    sourceDatabaseUrl,
    env,
    dir,
    team,
    user,
    /** A fresh worker and executor for one measurement; `stop()` returns the worker's peak RSS in MB. */
    async startWorker(workerEnv: Record<string, string> = {}) {
      const worker = spawn(process.execPath, [...serverNodeFlags, workerScript], { env: { ...env, ...workerEnv }, stdio: ["ignore", "pipe", "inherit"] });
      const port = await new Promise<number>((resolve, reject) => {
        worker.stdout.on("data", (chunk: Buffer) => {
          const match = /ready (\d+)/.exec(chunk.toString());
          if (match) resolve(Number(match[1]));
        });
        worker.once("exit", (code) => reject(new Error(`worker exited with ${code}`)));
      });
      const executor = await startLocalInngest({
        port: EXECUTOR_PORT,
        appUrls: [`http://127.0.0.1:${port}/api/inngest`],
        dataDir: mkdtempSync(path.join(dir, "executor-")),
        signingKey: env.INNGEST_SIGNING_KEY!,
        eventKey: env.INNGEST_EVENT_KEY!,
        log: () => {},
      });
      await executor.sync();
      return {
        async stop(): Promise<number> {
          const status = await readFile(`/proc/${worker.pid}/status`, "utf8");
          worker.kill();
          await executor.close();
          return Number(/VmHWM:\s+(\d+)/.exec(status)?.[1] ?? 0) / 1024;
        },
      };
    },
    async close() {
      await s3.close();
      const { getRedis } = await import("~/server/services");
      await getRedis().close();
      await db.$disconnect();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
