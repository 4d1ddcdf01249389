/**
 * The app as `npm start` serves it, for the benchmarks that measure what users get: the
 * production build (rebuilt only when a source file is newer than it), scripts/serve.ts, the
 * local executor and s3rver, each in a process of its own, so that each one's memory can be
 * read apart and the benchmark's own work (reading files, timing) never stalls them. Ports, databases and Redis come from BENCH_* variables, so that two
 * checkouts can run it side by side.
 *
 *   BENCH_APP_PORT (3200)  BENCH_S3RVER_PORT (4590)  BENCH_EXECUTOR_PORT (8391)
 *   BENCH_DATABASE_URL     the app's database; its rows' database is the same name + `_source`
 *   BENCH_REDIS_URL        Redis for the job store (database 6 unless told)
 *   BENCH_CPU_PROF=<dir>   the server runs with --cpu-prof, its profile written there on exit
 */
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { randomUUID } from "node:crypto";
import { createWriteStream, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { get as httpGet, type IncomingMessage } from "node:http";
import { tmpdir } from "node:os";
import path from "node:path";
import { pipeline } from "node:stream/promises";

import { ensureDatabase, migrate } from "../db-migrate";
import type { Run } from "../../dev/local-inngest/state";
import { serverNodeFlags } from "../server-node-flags";
import { benchDatabases, benchEnv } from "./bench-env";

const appPort = Number(process.env.BENCH_APP_PORT ?? 3200);
const s3Port = Number(process.env.BENCH_S3RVER_PORT ?? 4590);
const executorPort = Number(process.env.BENCH_EXECUTOR_PORT ?? 8391);

/** Set once the benchmark closes its processes: an exit before that is reported. */
let stopping = false;

/** What a build is made from; a build older than any of them is rebuilt. */
const buildInputs = ["src", "next.config.mjs", "package-lock.json", "tsconfig.json"];

function newestMtime(entry: string): number {
  const stat = statSync(entry);
  if (!stat.isDirectory()) return stat.mtimeMs;
  let newest = stat.mtimeMs;
  for (const child of readdirSync(entry)) newest = Math.max(newest, newestMtime(path.join(entry, child)));
  return newest;
}

function ensureFreshBuild(env: NodeJS.ProcessEnv): void {
  const buildId = ".next/BUILD_ID";
  const builtAt = existsSync(buildId) ? statSync(buildId).mtimeMs : 0;
  const changedAt = Math.max(...buildInputs.filter((entry) => existsSync(entry)).map(newestMtime));
  if (builtAt > changedAt) {
    console.log("[bench] reusing the build in .next (newer than every source file)");
    return;
  }
  console.log("[bench] building the app (next build)…");
  rmSync(buildId, { force: true });
  const result = spawnSync("npx", ["next", "build"], { stdio: ["ignore", "ignore", "inherit"], env });
  if (result.status !== 0) throw new Error(`next build failed (exit ${result.status ?? result.signal})`);
}

/** VmHWM (peak) and VmRSS (now) of a process, in MB. */
export async function memoryOf(pid: number): Promise<{ peakMb: number; rssMb: number }> {
  const status = await readFile(`/proc/${pid}/status`, "utf8");
  const kb = (field: string) => Number(new RegExp(`${field}:\\s+(\\d+)`).exec(status)?.[1] ?? 0);
  return { peakMb: kb("VmHWM") / 1024, rssMb: kb("VmRSS") / 1024 };
}

// The REST download and the file's fetch each go on a connection of their own, as a user's
// download does. A kept-alive one could have been closed by the app or s3rver while a
// baseline's spawnSync held this process: the next request on it fails with "other side closed".
const getOnOwnConnection = (url: string, headers: Record<string, string> = {}) =>
  new Promise<IncomingMessage>((resolve, reject) => httpGet(url, { agent: false, headers }, resolve).once("error", reject));

export type RestDownload = { downloadUrl: string; fileSize: number; rowCount: number; exportId: string };

/** `GET /api/v2/metric_files/:id/download` (`query` its search, if any) with a team's Bearer token. */
export async function requestRestDownload(appUrl: string, token: string, metricId: string, query = ""): Promise<RestDownload> {
  const response = await getOnOwnConnection(`${appUrl}/api/v2/metric_files/${metricId}/download${query && `?${query}`}`, { authorization: `Bearer ${token}` });
  const chunks: Buffer[] = [];
  for await (const chunk of response) chunks.push(chunk as Buffer);
  const text = Buffer.concat(chunks).toString("utf8");
  if (response.statusCode !== 200) throw new Error(`the download answered ${response.statusCode}: ${text}`);
  return JSON.parse(text) as RestDownload;
}

/** Fetches a presigned link into `target`. */
export async function downloadTo(url: string, target: string): Promise<void> {
  const response = await getOnOwnConnection(url);
  if (response.statusCode !== 200) {
    response.resume();
    throw new Error(`the presigned link answered ${response.statusCode}`);
  }
  // Node's 16 KB default makes a write of every chunk: at 180 MB that is as slow as s3rver's reply.
  await pipeline(response, createWriteStream(target, { highWaterMark: 4 * 1024 * 1024 }));
}

/** The CPU time a process has used so far, user and system, in seconds (Linux counts it in ticks of 1/100 s). */
export function cpuSecondsOf(pid: number): number {
  // Fields after the ")" of the command name: utime and stime are the 12th and 13th.
  const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]!.split(" ");
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

/**
 * Samples a process's VmRSS every 50 ms until stopped and returns the highest reading. VmHWM
 * alone cannot be reset between exports, so the peak of one export is read this way.
 */
export function sampleRss(pid: number): { stop(): Promise<number> } {
  let peak = 0;
  let stopped = false;
  // A failed reading (the process has gone) ends the loop and is what stop() rejects with,
  // rather than an unhandled rejection that would hide why the benchmark is stopping.
  const loop = (async () => {
    while (!stopped) {
      peak = Math.max(peak, (await memoryOf(pid)).rssMb);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  })();
  loop.catch(() => {});
  return {
    async stop() {
      stopped = true;
      await loop;
      return Math.max(peak, (await memoryOf(pid)).rssMb);
    },
  };
}

function startProcess(name: string, args: string[], env: NodeJS.ProcessEnv, onLine: (line: string) => void, nodeOptions: string[] = []): ChildProcess {
  // Node itself with tsx's loader, not `npx tsx`, so that the pid is the server's own.
  const child = spawn(process.execPath, [...nodeOptions, "--import", "tsx", ...args], { env, stdio: ["ignore", "pipe", "pipe"] });
  let rest = "";
  child.stdout!.on("data", (chunk: Buffer) => {
    const lines = (rest + chunk.toString()).split("\n");
    rest = lines.pop() ?? "";
    for (const line of lines) onLine(line);
  });
  child.stderr!.on("data", (chunk: Buffer) => process.stderr.write(`[${name}] ${chunk.toString()}`));
  child.once("exit", (code, signal) => {
    if (!stopping) console.error(`[bench] ${name} exited (${code ?? signal}) before the benchmark ended`);
  });
  // A benchmark that fails ends with process.exit, which would leave its services holding their ports.
  process.once("exit", () => child.kill("SIGKILL"));
  return child;
}

async function waitForHttp(url: string, timeoutMs: number): Promise<void> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    try {
      if ((await fetch(url)).ok) return;
    } catch {
      // Not listening yet.
    }
    if (Date.now() > until) throw new Error(`${url} did not answer within ${timeoutMs / 1000} s`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

export type AppLogLine = { msg: string; time: string; [field: string]: unknown };

export async function startAppRuntime(extraEnv: Record<string, string> = {}) {
  const dir = mkdtempSync(path.join(tmpdir(), "bench-app-"));
  const { databaseUrl, sourceDatabaseUrl } = benchDatabases();
  const appUrl = `http://127.0.0.1:${appPort}`;
  const env: NodeJS.ProcessEnv = {
    ...benchEnv({ appUrl, s3Endpoint: `http://127.0.0.1:${s3Port}`, executorUrl: `http://127.0.0.1:${executorPort}` }),
    PORT: String(appPort),
    AUTH_TRUST_HOST: "true",
    INNGEST_DEV: "0",
    EXPORT_FILE_TTL_SECONDS: "30",
    ...extraEnv,
  };
  Object.assign(process.env, env);
  await migrate(databaseUrl);
  await ensureDatabase(sourceDatabaseUrl);
  ensureFreshBuild(env);

  // BENCH_CPU_PROF=<dir>: a V8 CPU profile of the server and of s3rver, written as each exits.
  const profile = process.env.BENCH_CPU_PROF ? ["--cpu-prof", `--cpu-prof-dir=${path.resolve(process.env.BENCH_CPU_PROF)}`] : [];
  const s3 = startProcess("s3rver", ["dev/s3rver.ts", "--port", String(s3Port), "--dir", path.join(dir, "s3"), "--bucket", "bench-exports"], env, () => {}, profile);
  await waitForHttp(env.S3_ENDPOINT!, 30_000);
  const logs: AppLogLine[] = [];
  const server = startProcess(
    "serve",
    ["scripts/serve.ts", "-p", String(appPort), "-H", "127.0.0.1"],
    env,
    (line) => {
      if (line.startsWith("{")) logs.push(JSON.parse(line) as AppLogLine);
    },
    [...serverNodeFlags, ...profile],
  );
  await waitForHttp(`${appUrl}/api/health`, 120_000);
  const executorUrl = `http://127.0.0.1:${executorPort}`;
  const executor = startProcess(
    "executor",
    ["dev/local-inngest/main.ts", "--port", String(executorPort), "--app-url", `${appUrl}/api/inngest`, "--data-dir", path.join(dir, "executor")],
    env,
    () => {},
  );
  const executorAuth = { authorization: `Bearer ${env.INNGEST_SIGNING_KEY}` };
  await waitForHttp(`${executorUrl}/health`, 60_000);
  const runsOf = async (functionId: string): Promise<Run[]> =>
    ((await (await fetch(`${executorUrl}/v1/runs?function=${functionId}`, { headers: executorAuth })).json()) as { data: Run[] }).data;
  for (const until = Date.now() + 60_000; ; ) {
    const health = (await (await fetch(`${executorUrl}/health`)).json()) as { functions: number };
    if (health.functions > 0) break;
    if (Date.now() > until) throw new Error("the app did not sync with the local executor");
    await new Promise((resolve) => setTimeout(resolve, 200));
  }

  const { db } = await import("~/server/db");
  const { createApiToken } = await import("~/server/auth/api-tokens");
  const { sealJson } = await import("~/server/vault");
  const { createMetric } = await import("~/server/metrics/metrics");

  return {
    appUrl,
    databaseUrl,
    sourceDatabaseUrl,
    dir,
    serverPid: server.pid!,
    executorPid: executor.pid!,
    s3rverPid: s3.pid!,
    /** The server's structured log lines so far. */
    logs,
    runsOf,
    /** A team with an owner and an API token for the REST endpoints. */
    async newTeam(name: string) {
      const stamp = `${Date.now()}-${Math.random().toString(36).slice(2, 8)}`;
      const team = await db.team.create({ data: { name: `${name}-${stamp}` } });
      const user = await db.user.create({ data: { email: `bench-${stamp}@example.test` } });
      await db.membership.create({ data: { teamId: team.id, userId: user.id, role: "OWNER" } });
      const { token } = await createApiToken({ userId: user.id, teamId: team.id, name: "bench" });
      return {
        team,
        user,
        token,
        async metric(type: "POSTGRES" | "MYSQL", credentials: Record<string, unknown>, sql: string) {
          const source = await db.dataSource.create({ data: { teamId: team.id, name: `bench ${type} ${randomUUID().slice(0, 8)}`, type, encryptedCredentials: sealJson(credentials, env.VAULT_KEY!) } });
          return createMetric(team.id, { dataSourceId: source.id, name: `bench ${type} ${randomUUID().slice(0, 8)}`, sql });
        },
      };
    },
    /**
     * Polls the REST job status until `reached` holds for its status (COMPLETED unless told);
     * throws if the job ends any other way first.
     */
    async waitForJob(owner: { team: { id: string }; token: string }, exportId: string, reached: (status: string) => boolean = (status) => status === "COMPLETED") {
      for (;;) {
        const answer = await fetch(`${appUrl}/api/teams/${owner.team.id}/export-jobs/${exportId}`, { headers: { authorization: `Bearer ${owner.token}` } });
        const job = (await answer.json()) as { status: string; error?: string };
        if (!answer.ok) throw new Error(`the job status answered ${answer.status}: ${JSON.stringify(job).slice(0, 300)}`);
        if (reached(job.status)) return job;
        if (["COMPLETED", "FAILED", "CANCELLED"].includes(job.status)) throw new Error(`export ${exportId} ${job.status}: ${job.error ?? ""}`);
        await new Promise((resolve) => setTimeout(resolve, 250));
      }
    },
    async close() {
      stopping = true;
      for (const child of [executor, server, s3]) {
        child.kill("SIGTERM");
        await new Promise((resolve) => (child.exitCode === null ? child.once("exit", resolve) : resolve(null)));
      }
      const { getRedis } = await import("~/server/services");
      await getRedis().close();
      await db.$disconnect();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export type AppRuntime = Awaited<ReturnType<typeof startAppRuntime>>;
