import { execFile } from "node:child_process";
import { randomUUID } from "node:crypto";
import path from "node:path";

import { afterAll, afterEach, beforeEach, describe, expect, it, vi } from "vitest";

import { TEST_REDIS_URL } from "../../../tests/support/test-env";
import { AppError } from "~/server/errors";
import { createRedis } from "~/server/redis";

import { createRateLimits } from "./rate-limits";

const redis = createRedis({ redisUrl: TEST_REDIS_URL });
const config = {
  exportsPerUser: { limit: 3, window: "2 s" },
  exportsPerTeam: { limit: 5, window: "2 s" },
  restPerToken: { limit: 4, window: "1 h" },
} as const;

afterAll(() => redis.close());

const refused = (promise: Promise<unknown>) => promise.then(() => null, (e: unknown) => e as AppError);

/**
 * @upstash/ratelimit's sliding window weighs the previous window by how far the clock is into
 * the current one, and rounds down: calls on both sides of a window's edge can pass one over
 * the limit. The limiter takes the time from Date.now(), so these tests hold the clock in the
 * middle of a window and move it on by hand, instead of racing the real one.
 */
const WINDOW_MS = 2_000;

describe("rate limits on real Redis, on a held clock", () => {
  beforeEach(() => {
    vi.useFakeTimers({ toFake: ["Date"] });
    vi.setSystemTime(Math.floor(Date.now() / WINDOW_MS) * WINDOW_MS + WINDOW_MS / 2);
  });
  afterEach(() => vi.useRealTimers());

  it("passes exactly the limit, refuses the next with when to retry, and lets calls through once the window has passed", async () => {
    const limits = createRateLimits(redis, config, `test-rl:${randomUUID()}`);
    for (let i = 0; i < 3; i++) await limits.exportStarted("user-1", "team-1");
    const error = await refused(limits.exportStarted("user-1", "team-1"));
    expect(error).toBeInstanceOf(AppError);
    expect(error).toMatchObject({ code: "RATE_LIMITED", details: { limit: 3, remaining: 0 } });
    expect((error as AppError).details?.retryAfterSeconds).toBeGreaterThanOrEqual(1);
    // Two windows on, the earlier calls weigh nothing any more.
    vi.setSystemTime(Date.now() + 2 * WINDOW_MS);
    await expect(limits.exportStarted("user-1", "team-1")).resolves.toBeUndefined();
  });

  it("counts a team's exports across its users", async () => {
    const limits = createRateLimits(redis, config, `test-rl:${randomUUID()}`);
    for (let i = 0; i < 5; i++) await limits.exportStarted(`user-${i}`, "team-shared");
    expect(await refused(limits.exportStarted("user-new", "team-shared"))).toMatchObject({ code: "RATE_LIMITED" });
  });
});

describe("rate limits on real Redis, across processes", () => {
  // The other process reads the real clock; the hour-long window makes an edge between its
  // calls and these as unlikely as it can be without holding both clocks.
  it("shares one count between two processes", async () => {
    const prefix = `test-rl:${randomUUID()}`;
    const child = path.join(import.meta.dirname, "__fixtures__", "spend-rest-calls.ts");
    const tsx = path.resolve(import.meta.dirname, "../../../node_modules/.bin/tsx");
    const other = await new Promise<string>((resolve, reject) =>
      execFile(tsx, [child, prefix, "token-1", "3"], { env: process.env }, (error, stdout) => (error ? reject(error) : resolve(stdout.trim()))),
    );
    expect(other).toBe("3 passed");
    const limits = createRateLimits(redis, config, prefix);
    await expect(limits.restCall("token-1")).resolves.toMatchObject({ remaining: 0 });
    expect(await refused(limits.restCall("token-1"))).toMatchObject({ code: "RATE_LIMITED" });
  });
});
