/**
 * The app's Redis client: `@upstash/redis`, over Upstash's HTTP API when UPSTASH_REDIS_REST_URL
 * is set, otherwise over TCP to REDIS_URL (self-hosting, development, tests).
 */
import { Redis } from "@upstash/redis";
import { Redis as IORedis } from "ioredis";

import { TcpRequester } from "./tcp-requester";

export type RedisConfig = { upstashUrl?: string; upstashToken?: string; redisUrl?: string };

export type AppRedis = Redis & { close(): Promise<void> };

function hostOf(url: string): string {
  try {
    const parsed = new URL(url);
    return `${parsed.hostname}:${parsed.port || 6379}`;
  } catch {
    return "(unparseable REDIS_URL)";
  }
}

export function createRedis(config: RedisConfig): AppRedis {
  if (config.upstashUrl && config.upstashToken) {
    const redis = new Redis({ url: config.upstashUrl, token: config.upstashToken });
    return Object.assign(redis, { close: async () => {} });
  }
  if (!config.redisUrl) throw new Error("Redis is not configured: set REDIS_URL or UPSTASH_REDIS_REST_URL");
  const connection = new IORedis(config.redisUrl, {
    lazyConnect: false,
    maxRetriesPerRequest: 3,
    // Name the server in errors, never the URL: it may carry a password.
    connectionName: "export-center",
  });
  const host = hostOf(config.redisUrl);
  connection.on("error", (error: Error) => {
    console.error(JSON.stringify({ level: "error", msg: "redis.connection", host, error: error.message }));
  });
  const redis = new Redis(new TcpRequester(connection));
  return Object.assign(redis, { close: async () => void (await connection.quit().catch(() => connection.disconnect())) });
}
