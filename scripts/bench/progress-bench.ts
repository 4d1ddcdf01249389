/**
 * `npm run bench:progress`: what live progress costs Redis and the server as watchers grow.
 *
 * One running export (its record in the job store, moved by a producer that writes progress 4
 * times a second, as the coalescing reporter does) is watched by 1, 50 and 200 `exports.onProgress`
 * subscriptions, each a tRPC SSE stream over HTTP as the browser opens it, against the app's
 * tRPC route in a server process of its own. For each step it prints Redis commands a second
 * (`total_commands_processed` deltas from INFO stats, less the rate with no watcher, which holds
 * the producer's writes and whatever else uses this Redis server) and the server's CPU (from
 * /proc/<pid>/stat). Uses the test databases (TEST_DATABASE_URL, TEST_REDIS_URL): run
 * `npx vitest run tests/export-progress-fanout.test.ts` once first so the schema exists.
 */
import { spawn } from "node:child_process";
import { randomUUID } from "node:crypto";
import { readFileSync } from "node:fs";
import { createInterface } from "node:readline";

import { Redis as IORedis } from "ioredis";

import { testAppEnv } from "../../tests/support/test-env";

Object.assign(process.env, testAppEnv());
const { createTeamWithUser, tokenFor } = await import("../../tests/support/fixtures");
const { getJobStore, getRedis } = await import("~/server/services");
const { closeRedis } = await import("~/server/redis");

const WATCHER_STEPS = [1, 50, 200];
const WINDOW_MS = 10_000;
const SETTLE_MS = 2_000;
const CLOCK_TICKS = 100;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function cpuSeconds(pid: number): number {
  // Fields after the ")" of the command name: utime and stime are the 12th and 13th.
  const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]!.split(" ");
  return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS;
}

async function startServer() {
  const child = spawn("npx", ["tsx", "scripts/bench/progress-server.ts"], { env: process.env, stdio: ["ignore", "pipe", "inherit"] });
  const firstLine = await new Promise<string>((resolve) => createInterface({ input: child.stdout }).once("line", resolve));
  // npx runs tsx, which runs node: the server is the deepest process of the tree.
  const pids = (pid: number): number[] => {
    const children = readFileSync(`/proc/${pid}/task/${pid}/children`, "utf8").trim().split(/\s+/).filter(Boolean).map(Number);
    return [pid, ...children.flatMap(pids)];
  };
  return { child, port: Number(firstLine), pid: pids(child.pid!).at(-1)! };
}

/** A tRPC SSE subscription as httpSubscriptionLink opens it; counts the events it receives. */
function watch(url: string, token: string, signal: AbortSignal, counter: { events: number }) {
  return fetch(url, { headers: { authorization: `Bearer ${token}`, accept: "text/event-stream" }, signal })
    .then(async (response) => {
      const reader = response.body!.getReader();
      for (;;) {
        const { done, value } = await reader.read();
        if (done) return;
        counter.events += (new TextDecoder().decode(value).match(/^data:/gm) ?? []).length;
      }
    })
    .catch(() => {});
}

async function main() {
  const stats = new IORedis(process.env.REDIS_URL!);
  const commands = async () => Number(/total_commands_processed:(\d+)/.exec(await stats.info("stats"))![1]);
  const { team, user } = await createTeamWithUser("OWNER");
  const token = await tokenFor(user.id, team.id);
  const store = getJobStore();
  const id = randomUUID();
  await store.create({ id, type: "metric", resourceId: "bench", userId: user.id, teamId: team.id });
  await store.transition(id, "PROCESSING", { deadlineAt: new Date(Date.now() + 3_600_000).toISOString() });
  let rows = 0;
  const producer = setInterval(() => void store.updateProgress(id, { phase: "writing", rows: (rows += 1000), bytes: rows * 20 }), 250);

  const server = await startServer();
  const input = encodeURIComponent(JSON.stringify({ json: { teamId: team.id, exportId: id } }));
  const url = `http://127.0.0.1:${server.port}/api/trpc/exports.onProgress?input=${input}`;

  const measure = async () => {
    const [c0, cpu0, t0] = [await commands(), cpuSeconds(server.pid), Date.now()];
    await sleep(WINDOW_MS);
    const seconds = (Date.now() - t0) / 1000;
    return { commandsPerSecond: ((await commands()) - c0) / seconds, cpuPercent: ((cpuSeconds(server.pid) - cpu0) / seconds) * 100 };
  };

  await sleep(SETTLE_MS);
  const idle = await measure();
  console.log(`no watcher: ${idle.commandsPerSecond.toFixed(1)} Redis commands/s (the producer and other clients), server CPU ${idle.cpuPercent.toFixed(1)}%`);
  const results: Record<number, { commandsPerSecond: number; cpuPercent: number; eventsPerWatcherPerSecond: number }> = {};
  for (const watchers of WATCHER_STEPS) {
    const abort = new AbortController();
    const counter = { events: 0 };
    const streams = Array.from({ length: watchers }, () => watch(url, token, abort.signal, counter));
    await sleep(SETTLE_MS);
    const events0 = counter.events;
    const step = await measure();
    const eventsPerWatcherPerSecond = (counter.events - events0) / watchers / (WINDOW_MS / 1000);
    abort.abort();
    await Promise.all(streams);
    results[watchers] = { commandsPerSecond: step.commandsPerSecond - idle.commandsPerSecond, cpuPercent: step.cpuPercent, eventsPerWatcherPerSecond };
    console.log(
      `${String(watchers).padStart(3)} watchers: ${(step.commandsPerSecond - idle.commandsPerSecond).toFixed(1)} Redis commands/s for progress (above idle), ` +
        `server CPU ${step.cpuPercent.toFixed(1)}%, ${eventsPerWatcherPerSecond.toFixed(1)} events/s per watcher`,
    );
    await sleep(SETTLE_MS);
  }
  console.log(JSON.stringify({ idle, watchers: results }));

  clearInterval(producer);
  await store.delete(id);
  server.child.kill();
  await stats.quit();
  await closeRedis(getRedis());
  const { db } = await import("~/server/db");
  await db.$disconnect();
  process.exit(0);
}

await main();
