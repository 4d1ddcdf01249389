/**
 * `npm run bench:progress`: what live progress costs Redis and the server as watchers grow,
 * on the app as `npm start` serves it (app-runtime.ts).
 *
 * One real metric export runs: a query that yields about 100 rows a second for longer than
 * the benchmark, so that its producer writes progress (coalesced to 4 writes a second) the
 * whole time. It is watched by 1, 50 and 200 `exports.onProgress` subscriptions, each a tRPC
 * SSE stream over HTTP as the browser opens it, then by as many `exports.onTeamProgress`
 * streams (the export center's one stream a page). For each step it prints Redis commands a
 * second (`total_commands_processed` deltas from INFO stats of a Redis server the benchmark
 * starts for the app alone, less the rate with no watcher, which holds the producer's writes
 * and the app's other Redis work) and the server's CPU (from /proc/<pid>/stat). The export is
 * cancelled at the end.
 */
import { spawn, spawnSync } from "node:child_process";

import { Redis as IORedis } from "ioredis";

import { cpuSecondsOf, startAppRuntime } from "./app-runtime";

const WATCHER_STEPS = [1, 50, 200];
const WINDOW_MS = 10_000;
const SETTLE_MS = 2_000;
/**
 * Rows of 2 KB at 10 ms each: 20 minutes, more than the steps take (the export is cancelled
 * when they are done), and enough bytes a second that progress moves several times a second.
 */
const SLOW_ROWS = 120_000;
/** A Redis server of the benchmark's own, so that INFO stats counts the app's commands alone. */
const REDIS_PORT = Number(process.env.BENCH_PROGRESS_REDIS_PORT ?? 6391);

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

type Counter = { events: number; joined: number };

/** A tRPC SSE subscription as httpSubscriptionLink opens it; counts the events it receives, and itself once the first arrives. */
function watch(url: string, token: string, signal: AbortSignal, counter: Counter) {
  return fetch(url, { headers: { authorization: `Bearer ${token}`, accept: "text/event-stream" }, signal })
    .then(async (response) => {
      if (!response.ok) throw new Error(`the subscription answered ${response.status}`);
      const reader = response.body!.getReader();
      const decoder = new TextDecoder();
      let seen = false;
      for (;;) {
        const { done, value } = await reader.read();
        if (done) return;
        const events = (decoder.decode(value).match(/^data:/gm) ?? []).length;
        if (events > 0 && !seen) counter.joined++;
        seen ||= events > 0;
        counter.events += events;
      }
    })
    .catch((error: unknown) => {
      if (!signal.aborted) throw error;
    });
}

async function trpcMutation(appUrl: string, token: string, procedure: string, input: unknown): Promise<unknown> {
  const answer = await fetch(`${appUrl}/api/trpc/${procedure}`, {
    method: "POST",
    headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
    body: JSON.stringify({ json: input }),
  });
  const body = (await answer.json()) as { result?: { data: { json: unknown } } };
  if (!answer.ok || !body.result) throw new Error(`${procedure} answered ${answer.status}: ${JSON.stringify(body).slice(0, 300)}`);
  return body.result.data.json;
}

async function main() {
  console.log(`[bench] progress: ${spawnSync("uptime", { encoding: "utf8" }).stdout.trim()}`);
  const redisServer = spawn("redis-server", ["--port", String(REDIS_PORT), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"], { stdio: "ignore" });
  process.env.BENCH_REDIS_URL = `redis://127.0.0.1:${REDIS_PORT}/0`;
  for (let tries = 0; spawnSync("redis-cli", ["-p", String(REDIS_PORT), "ping"], { encoding: "utf8" }).stdout.trim() !== "PONG"; tries++) {
    if (tries === 50 || redisServer.exitCode !== null) throw new Error(`redis-server did not start on port ${REDIS_PORT} (BENCH_PROGRESS_REDIS_PORT)`);
    await sleep(100);
  }
  const stats = new IORedis(process.env.BENCH_REDIS_URL);
  // Each subscription counts against its token's per-minute budget; the steps open 502.
  const runtime = await startAppRuntime({ RATE_LIMIT_REST_PER_TOKEN_PER_MINUTE: "100000" });
  try {
    const commands = async () => Number(/total_commands_processed:(\d+)/.exec(await stats.info("stats"))![1]);
    const team = await runtime.newTeam("bench-progress");
    const metric = await team.metric("POSTGRES", { url: runtime.sourceDatabaseUrl }, `SELECT g AS n, repeat('x', 2000) AS filler, pg_sleep(0.01)::text AS slept FROM generate_series(1, ${SLOW_ROWS}) g`);
    const { exportId } = (await trpcMutation(runtime.appUrl, team.token, "metrics.export", { teamId: team.team.id, metricId: metric.id })) as { exportId: string };
    const job = await runtime.waitForJob(team, exportId, (status) => status === "PROCESSING");
    console.log(`export ${exportId} is ${job.status}`);

    const { getJobStore } = await import("~/server/services");
    const rowsWritten = async () => (await getJobStore().get(exportId))?.progress?.rows ?? 0;
    // The export's own pace too: watchers that slowed its producer would show here.
    const measure = async () => {
      const rows0 = await rowsWritten();
      const [c0, cpu0, t0] = [await commands(), cpuSecondsOf(runtime.serverPid), Date.now()];
      await sleep(WINDOW_MS);
      const seconds = (Date.now() - t0) / 1000;
      const [c1, cpu1] = [await commands(), cpuSecondsOf(runtime.serverPid)];
      return { commandsPerSecond: (c1 - c0) / seconds, cpuPercent: ((cpu1 - cpu0) / seconds) * 100, rowsPerSecond: ((await rowsWritten()) - rows0) / seconds };
    };

    await sleep(SETTLE_MS);
    const idle = await measure();
    console.log(`no watcher: ${idle.commandsPerSecond.toFixed(1)} Redis commands/s (the export's progress writes, the app's other work), server CPU ${idle.cpuPercent.toFixed(1)}%, the export at ${idle.rowsPerSecond.toFixed(0)} rows/s`);
    const results: Record<string, { commandsPerSecond: number; cpuPercent: number; eventsPerWatcherPerSecond: number; rowsPerSecond: number }> = {};
    const streams = {
      "exports.onProgress": { teamId: team.team.id, exportId },
      "exports.onTeamProgress": { teamId: team.team.id },
    };
    for (const [procedure, input] of Object.entries(streams)) {
      const url = `${runtime.appUrl}/api/trpc/${procedure}?input=${encodeURIComponent(JSON.stringify({ json: input }))}`;
      for (const watchers of WATCHER_STEPS) {
        const abort = new AbortController();
        const counter: Counter = { events: 0, joined: 0 };
        const open = Array.from({ length: watchers }, () => watch(url, team.token, abort.signal, counter));
        // Measured once every watcher has its first state: joining costs a read each, watching nothing.
        for (const until = Date.now() + 60_000; counter.joined < watchers; await sleep(100)) {
          if (Date.now() > until) throw new Error(`${counter.joined} of ${watchers} watchers of ${procedure} joined within a minute`);
        }
        await sleep(SETTLE_MS);
        const events0 = counter.events;
        const step = await measure();
        const eventsPerWatcherPerSecond = (counter.events - events0) / watchers / (WINDOW_MS / 1000);
        abort.abort();
        await Promise.all(open);
        const commandsPerSecond = step.commandsPerSecond - idle.commandsPerSecond;
        results[`${procedure} ${watchers}`] = { commandsPerSecond, cpuPercent: step.cpuPercent, eventsPerWatcherPerSecond, rowsPerSecond: step.rowsPerSecond };
        console.log(
          `${procedure.padEnd(22)} ${String(watchers).padStart(3)} watchers: ${commandsPerSecond.toFixed(1)} Redis commands/s for progress (above idle; goal ≤ 20 at 200), ` +
            `server CPU ${step.cpuPercent.toFixed(1)}%, ${eventsPerWatcherPerSecond.toFixed(1)} events/s per watcher, the export at ${step.rowsPerSecond.toFixed(0)} rows/s`,
        );
        if (eventsPerWatcherPerSecond === 0) throw new Error(`${watchers} watchers of ${procedure} received no progress`);
        await sleep(SETTLE_MS);
      }
    }
    console.log(JSON.stringify({ idle, watchers: results }));
    await trpcMutation(runtime.appUrl, team.token, "exports.cancel", { teamId: team.team.id, exportId });
  } finally {
    await runtime.close();
    await stats.quit();
    redisServer.kill();
  }
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
