/**
 * Picks the analytics provider from configuration: Tinybird, behind the Redis-backed
 * limiter, when a token is set; otherwise the local PageView table.
 */
import type { Redis } from "@upstash/redis";

import { AppError } from "~/server/errors";

import type { AnalyticsProvider } from "./analytics-provider";
import { LocalAnalyticsProvider, type LocalAnalyticsProviderOptions } from "./local-analytics-provider";
import { TinybirdLimiter, type TinybirdLimiterOptions } from "./tinybird-limiter";
import { TinybirdAnalyticsProvider, type TinybirdMode } from "./tinybird-provider";
import type { RetryPolicy } from "./retry-policy";

export interface AnalyticsConfig {
  tinybird: {
    /** Empty or absent: use the local provider. */
    token?: string;
    apiUrl: string;
    /** Defaults to the pipe of `mode` (export_view_durations or export_view_durations_batched). */
    pipe?: string;
    mode: TinybirdMode;
    requestTimeoutMs?: number;
    retry?: Partial<RetryPolicy>;
  };
  /** Required with a token: the limit is shared across processes through it. */
  redis?: Redis;
  limiter?: Omit<TinybirdLimiterOptions, "redis">;
  db: LocalAnalyticsProviderOptions["db"];
}

export function createAnalyticsProvider(config: AnalyticsConfig): AnalyticsProvider {
  const { tinybird } = config;
  if (!tinybird.token) return new LocalAnalyticsProvider({ db: config.db });
  if (!config.redis) {
    throw new AppError("INTERNAL", "Tinybird needs Redis for its shared rate limit; configure REDIS_URL or Upstash");
  }
  const limiter = new TinybirdLimiter({ redis: config.redis, ...config.limiter });
  const requestTimeoutMs = tinybird.requestTimeoutMs ?? 30_000;
  if (requestTimeoutMs >= limiter.leaseTtlMs) {
    throw new AppError("INTERNAL", "The Tinybird request timeout must be shorter than the limiter's lease TTL");
  }
  return new TinybirdAnalyticsProvider({
    apiUrl: tinybird.apiUrl,
    token: tinybird.token,
    pipe: tinybird.pipe,
    mode: tinybird.mode,
    requestTimeoutMs,
    retry: tinybird.retry,
    limiter,
  });
}
