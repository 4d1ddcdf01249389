/**
 * Abuse protection with `@upstash/ratelimit` on the job store's Redis, so the counts are
 * shared by every process: exports started per user and per team, and REST calls per token.
 * Over a limit, the caller gets RATE_LIMITED with when to try again (429 + Retry-After over
 * REST, TOO_MANY_REQUESTS over tRPC).
 */
import { Ratelimit } from "@upstash/ratelimit";
import type { Redis } from "@upstash/redis";

import { AppError } from "~/server/errors";

type Duration = `${number} ${"ms" | "s" | "m" | "h" | "d"}`;
export type LimitRule = { limit: number; window: Duration };

export type RateLimitConfig = {
  exportsPerUser: LimitRule;
  exportsPerTeam: LimitRule;
  restPerToken: LimitRule;
};

export type RateLimitOutcome = { limit: number; remaining: number; reset: number };

export function createRateLimits(redis: Redis, config: RateLimitConfig, prefix = "ratelimit") {
  const limiter = (name: string, rule: LimitRule) =>
    new Ratelimit({ redis, prefix: `${prefix}:${name}`, limiter: Ratelimit.slidingWindow(rule.limit, rule.window), analytics: false });
  const exportsPerUser = limiter("exports:user", config.exportsPerUser);
  const exportsPerTeam = limiter("exports:team", config.exportsPerTeam);
  const restPerToken = limiter("rest:token", config.restPerToken);

  async function enforce(ratelimit: Ratelimit, id: string, what: string): Promise<RateLimitOutcome> {
    const { success, limit, remaining, reset } = await ratelimit.limit(id);
    if (!success) {
      const retryAfterSeconds = Math.max(1, Math.ceil((reset - Date.now()) / 1000));
      throw new AppError("RATE_LIMITED", `Too many ${what}; try again in ${retryAfterSeconds} s`, {
        details: { retryAfterSeconds, limit, remaining: 0, reset },
      });
    }
    return { limit, remaining, reset };
  }

  return {
    /** Both the user's and the team's budget must allow another export. */
    async exportStarted(userId: string, teamId: string) {
      await enforce(exportsPerUser, userId, "exports started by you");
      await enforce(exportsPerTeam, teamId, "exports started by your team");
    },
    restCall(tokenId: string) {
      return enforce(restPerToken, tokenId, "API requests with this token");
    },
  };
}

export type RateLimits = ReturnType<typeof createRateLimits>;
