import { execFile } from "node:child_process";
import { randomUUID } from "node:crypto";
import path from "node:path";

import { afterAll, describe, expect, it } from "vitest";

import { TEST_REDIS_URL } from "../../../tests/support/test-env";
import { AppError } from "~/server/errors";
import { createRedis } from "~/server/redis";

import { createRateLimits } from "./rate-limits";

const redis = createRedis({ redisUrl: TEST_REDIS_URL });
const config = {
  exportsPerUser: { limit: 3, window: "2 s" },
  exportsPerTeam: { limit: 5, window: "2 s" },
  restPerToken: { limit: 4, window: "30 s" },
} as const;

afterAll(() => redis.close());

const refused = (promise: Promise<unknown>) => promise.then(() => null, (e: unknown) => e as AppError);

describe("rate limits on real Redis", () => {
  it("passes exactly the limit, refuses the next with when to retry, and lets calls through once the window has passed", async () => {
    const limits = createRateLimits(redis, config, `test-rl:${randomUUID()}`);
    for (let i = 0; i < 3; i++) await limits.exportStarted("user-1", "team-1");
    const error = await refused(limits.exportStarted("user-1", "team-1"));
    expect(error).toBeInstanceOf(AppError);
    expect(error).toMatchObject({ code: "RATE_LIMITED", details: { limit: 3, remaining: 0 } });
    expect((error as AppError).details?.retryAfterSeconds).toBeGreaterThanOrEqual(1);
    await new Promise((r) => setTimeout(r, 4100));
    await expect(limits.exportStarted("user-1", "team-1")).resolves.toBeUndefined();
  });

  it("counts a team's exports across its users", async () => {
    const limits = createRateLimits(redis, config, `test-rl:${randomUUID()}`);
    for (let i = 0; i < 5; i++) await limits.exportStarted(`user-${i}`, "team-shared");
    expect(await refused(limits.exportStarted("user-new", "team-shared"))).toMatchObject({ code: "RATE_LIMITED" });
  });

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
