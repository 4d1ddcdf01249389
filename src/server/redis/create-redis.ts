/**
 * The app's Redis client is always `@upstash/redis`: over Upstash's HTTP API when a REST URL
 * and token are given, otherwise over TCP to a plain Redis (self-hosting, development, tests)
 * through the TCP requester, so that both run the same client code.
 */
import { Redis } from "@upstash/redis";
import { Redis as IORedis } from "ioredis";

import { AppError } from "~/server/errors";
import { log } from "~/server/log";

import { TcpRequester } from "./tcp-requester";

export type RedisConfig = {
  upstashUrl?: string;
  upstashToken?: string;
  redisUrl?: string;
  /** Batches commands issued in the same tick into one pipeline. On by default, as in Upstash's client. */
  enableAutoPipelining?: boolean;
};

/** The client, plus a way to release its connection (a no-op over HTTP). */
export type AppRedis = Redis & { close(): Promise<void> };

const QUIT_TIMEOUT_MS = 1_000;

type RedisTarget = { hostPort: string; password?: string };

/** Where the URL points, for error messages; the password is kept only to scrub it from them. */
function parseRedisUrl(redisUrl: string): RedisTarget {
  let url: URL;
  try {
    url = new URL(redisUrl);
  } catch {
    // Never echo the URL: it may carry a password.
    throw new AppError("INTERNAL", "REDIS_URL is not a valid URL (expected redis://[:password@]host[:port][/db])");
  }
  if (url.protocol !== "redis:" && url.protocol !== "rediss:") {
    throw new AppError("INTERNAL", `REDIS_URL must use redis:// or rediss://, not ${url.protocol}//`);
  }
  return { hostPort: `${url.hostname}:${url.port || "6379"}`, password: url.password ? decodeURIComponent(url.password) : undefined };
}

function scrubber(password: string | undefined): (text: string) => string {
  // Too short a password would blank out ordinary letters; ioredis never puts it in a message anyway.
  if (!password || password.length < 3) return (text) => text;
  const forms = [...new Set([password, encodeURIComponent(password)])];
  return (text) => forms.reduce((t, form) => t.split(form).join("***"), text);
}

async function quit(connection: IORedis): Promise<void> {
  if (connection.status === "end") return;
  if (connection.status !== "ready") {
    connection.disconnect();
    return;
  }
  const timer = new Promise<"timeout">((resolve) => setTimeout(resolve, QUIT_TIMEOUT_MS, "timeout").unref());
  const outcome = await Promise.race([connection.quit().catch(() => "failed" as const), timer]);
  if (outcome !== "OK") connection.disconnect();
}

function overTcp(redisUrl: string, enableAutoPipelining: boolean): AppRedis {
  const target = parseRedisUrl(redisUrl);
  const scrub = scrubber(target.password);
  const connection = new IORedis(redisUrl, {
    maxRetriesPerRequest: 3,
    connectTimeout: 5_000,
    connectionName: "export-center",
  });

  // ioredis retries forever in the background and reports each attempt; one log line per new
  // kind of failure is enough, and the last reason makes the callers' error specific.
  let lastFailure: string | undefined;
  connection.on("error", (error: Error) => {
    const reason = scrub(error.message);
    if (reason !== lastFailure) log("error", "redis.connection_failed", { redis: target.hostPort, error: reason });
    lastFailure = reason;
  });
  connection.on("ready", () => {
    lastFailure = undefined;
  });

  const transportFailure = (error: unknown) => {
    const reason = lastFailure ?? scrub(error instanceof Error ? error.message : String(error));
    return new AppError("UPSTREAM_UNAVAILABLE", `Redis at ${target.hostPort} is unavailable: ${reason}`, { cause: error });
  };

  const base = new Redis(new TcpRequester(connection, transportFailure));
  // `new Redis(requester)` skips the auto-pipelining proxy that the URL constructor installs;
  // installing it here keeps TCP on the same batching (and error wording) as Upstash's HTTP.
  const redis = enableAutoPipelining ? (base as unknown as { autoPipeline(): Redis }).autoPipeline() : base;
  return Object.assign(redis, { close: () => quit(connection) });
}

export function createRedis(config: RedisConfig): AppRedis {
  const enableAutoPipelining = config.enableAutoPipelining ?? true;
  if (config.upstashUrl && config.upstashToken) {
    const redis = new Redis({ url: config.upstashUrl, token: config.upstashToken, enableAutoPipelining });
    return Object.assign(redis, { close: async () => {} });
  }
  if (config.redisUrl) return overTcp(config.redisUrl, enableAutoPipelining);
  throw new AppError("INTERNAL", "Redis is not configured: set REDIS_URL, or UPSTASH_REDIS_REST_URL with UPSTASH_REDIS_REST_TOKEN");
}

/** Releases the client's connection, so that a script or a test process can exit. */
export async function closeRedis(redis: Redis): Promise<void> {
  const closable = redis as Partial<AppRedis>;
  if (typeof closable.close === "function") await closable.close();
}
