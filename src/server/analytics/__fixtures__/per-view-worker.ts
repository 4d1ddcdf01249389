/**
 * A stand-in for one worker process in the cross-process limiter test: it fetches the page
 * durations of its views in per-view mode through the shared Redis limiter. It prints
 * "ready" once connected, waits for a line on stdin so that all workers start together, then
 * prints one JSON line with its results and exits.
 *
 * Usage: node --import tsx per-view-worker.ts '<json WorkerInput>'
 */
import { createInterface } from "node:readline";

import { createRedis } from "~/server/redis";

import type { ViewRef } from "../analytics-provider";
import { TinybirdLimiter } from "../tinybird-limiter";
import { TinybirdAnalyticsProvider } from "../tinybird-provider";

export interface WorkerInput {
  apiUrl: string;
  token: string;
  redisUrl: string;
  keyPrefix: string;
  views: ViewRef[];
}

export interface WorkerOutput {
  elapsedMs: number;
  durations: Record<string, { pageNumber: number; durationMs: number }[]>;
}

async function main() {
  const input = JSON.parse(process.argv[2] ?? "") as WorkerInput;
  const redis = createRedis({ redisUrl: input.redisUrl });
  const limiter = new TinybirdLimiter({ redis, keyPrefix: input.keyPrefix });
  const provider = new TinybirdAnalyticsProvider({ apiUrl: input.apiUrl, token: input.token, mode: "per-view", limiter });
  await redis.ping();

  const lines = createInterface({ input: process.stdin });
  const go = new Promise<void>((resolve) => lines.once("line", () => resolve()));
  process.stdout.write("ready\n");
  await go;
  lines.close();

  const started = performance.now();
  const result = await provider.pageDurations(input.views);
  const output: WorkerOutput = { elapsedMs: performance.now() - started, durations: Object.fromEntries(result) };
  process.stdout.write(`${JSON.stringify(output)}\n`);
  await redis.close();
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  },
);
