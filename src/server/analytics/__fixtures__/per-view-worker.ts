/**
 * A stand-in for one worker process in the cross-process limiter test: it fetches the page
 * durations of its views in per-view mode through the shared Redis limiter. It prints
 * "ready" once connected, waits for a line on stdin so that all workers start together, then
 * prints one JSON line with its results and its limiter's record, and exits.
 *
 * Usage: node --import tsx per-view-worker.ts '<json WorkerInput>'
 */
import { createInterface } from "node:readline";

import { createRedis } from "~/server/redis";

import type { ViewRef } from "../analytics-provider";
import { type LimiterEvent, TinybirdLimiter } from "../tinybird-limiter";
import { TinybirdAnalyticsProvider } from "../tinybird-provider";
import { recordLimiter } from "./limiter-record";

export interface WorkerInput {
  apiUrl: string;
  token: string;
  redisUrl: string;
  keyPrefix: string;
  views: ViewRef[];
}

export interface WorkerOutput {
  durations: Record<string, { pageNumber: number; durationMs: number }[]>;
  /** This worker's limiter decisions, in Redis time. */
  limiterEvents: LimiterEvent[];
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

  const record = recordLimiter(input.keyPrefix);
  const result = await provider.pageDurations(input.views);
  record.stop();
  const output: WorkerOutput = { durations: Object.fromEntries(result), limiterEvents: record.events };
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
