/**
 * The Tinybird client against the fake Tinybird, through the real Redis limiter: every test
 * also checks that the fake saw no broken limit (no 429 it did not inject). Waits are checked
 * on the limiter's own record (Redis time), not on this process's clock.
 */
import { setTimeout as sleep } from "node:timers/promises";

import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";

import { startFakeTinybird, type FakeTinybird } from "../../../dev/fake-tinybird";
import { TEST_REDIS_URL } from "../../../tests/support/test-env";
import { createRedis } from "~/server/redis";
import { AppError, isRetryable } from "~/server/errors";

import { createAnalyticsProvider } from "./create-analytics-provider";
import { recordLimiter, type LimiterRecord } from "./__fixtures__/limiter-record";
import { durationsFor, makeViews, uniquePrefix } from "./__fixtures__/test-views";
import { retryAfterMs, TinybirdError } from "./tinybird-errors";
import { TinybirdLimiter } from "./tinybird-limiter";
import { TinybirdAnalyticsProvider, type TinybirdProviderOptions } from "./tinybird-provider";
import { parseRetryAfter } from "./retry-policy";

let fake: FakeTinybird;
const redis = createRedis({ redisUrl: TEST_REDIS_URL });

beforeAll(async () => {
  fake = await startFakeTinybird({ latencyMs: 20, durations: durationsFor });
});
afterAll(async () => {
  await fake.close();
  await redis.close();
});
let record: LimiterRecord;
let keyPrefix: string;
beforeEach(() => {
  fake.reset();
  keyPrefix = uniquePrefix("provider");
  record = recordLimiter(keyPrefix);
});
afterEach(() => record.stop());

function provider(overrides: Partial<TinybirdProviderOptions> = {}) {
  return new TinybirdAnalyticsProvider({
    apiUrl: fake.url,
    token: fake.token,
    mode: "per-view",
    limiter: new TinybirdLimiter({ redis, keyPrefix }),
    // Short backoff: these tests are about whether it retries, not how long it waits.
    retry: { baseDelayMs: 20 },
    ...overrides,
  });
}

const expected = (views: { viewId: string }[]) => new Map(views.map((v) => [v.viewId, durationsFor(v.viewId)]));

describe("TinybirdAnalyticsProvider, per-view", () => {
  it("fetches every view's durations, one call per view", async () => {
    const views = makeViews(6);
    const result = await provider().pageDurations(views);
    expect(result).toEqual(expected(views));
    const stats = fake.stats();
    expect(stats.calls).toBe(6);
    expect(stats.sent429).toBe(0);
  });

  it("sends documentId, viewId and versionNumber", async () => {
    const seen: string[] = [];
    const spy: typeof fetch = (input, init) => {
      seen.push(String(input));
      return fetch(input, init);
    };
    await provider({ fetch: spy }).pageDurations([{ viewId: "v_1", documentId: "d_1", versionNumber: 3 }]);
    expect(seen).toEqual([`${fake.url}/v0/pipes/export_view_durations.json?documentId=d_1&viewId=v_1&versionNumber=3`]);
  });

  it("retries 503s and still returns the right durations", async () => {
    const views = makeViews(5);
    const flaky = [views[1]!.viewId, views[3]!.viewId];
    fake.injectFault({ viewIds: flaky, status: 503, times: 2 });
    const result = await provider().pageDurations(views);
    expect(result).toEqual(expected(views));
    const stats = fake.stats();
    expect(stats.faultsSent).toBe(4);
    for (const id of flaky) expect(stats.callsByView[id]).toBe(3);
    expect(stats.calls).toBe(9);
    expect(stats.limitBreaches).toBe(0);
  });

  it("gives up after 3 retries with a retryable error", async () => {
    const [view] = makeViews(1);
    fake.injectFault({ viewIds: [view!.viewId], status: 500, times: 10 });
    const error = await provider().pageDurations([view!]).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TinybirdError);
    expect(error).toMatchObject({ code: "UPSTREAM_UNAVAILABLE", status: 500, retryable: true });
    expect(isRetryable(error)).toBe(true);
    expect(fake.stats().callsByView[view!.viewId]).toBe(4);
  });

  it("honours Retry-After on a 429: the retry starts at least a second later", async () => {
    const [view] = makeViews(1);
    fake.injectFault({ viewIds: [view!.viewId], status: 429, times: 1, retryAfter: "1" });
    const result = await provider().pageDurations([view!]);
    expect(result.get(view!.viewId)).toEqual(durationsFor(view!.viewId));
    const { callsByView, limitBreaches } = fake.stats();
    expect(callsByView[view!.viewId]).toBe(2);
    expect(limitBreaches).toBe(0);

    const [first, retry] = record.starts();
    const [hold] = record.holdOffs();
    // The 429 came back after the first call started; the retry was granted once the hold
    // of one second from then had passed.
    expect(hold!.atMs).toBeGreaterThanOrEqual(first!.atMs);
    expect(hold!.untilMs - hold!.atMs).toBe(1_000);
    expect(record.grants()[1]!.atMs).toBeGreaterThanOrEqual(hold!.untilMs);
    expect(retry!.atMs - first!.atMs).toBeGreaterThanOrEqual(1_000);
  });

  it("holds every caller sharing the limiter back after a Retry-After, not only the one told", async () => {
    const views = makeViews(3);
    fake.injectFault({ viewIds: [views[0]!.viewId], status: 429, times: 1, retryAfter: "1" });
    await provider().pageDurations(views);
    // Calls 2 and 3 may have started before the 429 came back; none started during the hold.
    const [hold] = record.holdOffs();
    expect(hold!.untilMs - hold!.atMs).toBe(1_000);
    const during = record.grants().filter((g) => g.atMs > hold!.atMs && g.atMs < hold!.untilMs);
    expect(during).toEqual([]);
    expect(record.grants()).toHaveLength(4);
  });

  it("fails fast on a 400, without retrying, marked non-retryable", async () => {
    const error = await provider()
      .pageDurations([{ viewId: "not a valid id!", documentId: "d_1" }])
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AppError);
    expect(error).toMatchObject({ code: "UPSTREAM_UNAVAILABLE", status: 400, retryable: false });
    expect((error as Error).message).toContain("Missing or invalid required parameter");
    expect(isRetryable(error)).toBe(false);
    expect(fake.stats().calls).toBe(1);
  });

  it("fails fast on a bad token, and the token is in no part of the error", async () => {
    const token = "p.secret-token-that-must-not-leak-123";
    const error = await provider({ token })
      .pageDurations(makeViews(1))
      .catch((e: unknown) => e);
    expect(error).toMatchObject({ code: "UPSTREAM_UNAVAILABLE", status: 401, retryable: false });
    expect(fake.stats().calls).toBe(1);
    const everything = [
      (error as Error).message,
      (error as Error).stack ?? "",
      JSON.stringify(error),
      JSON.stringify((error as AppError).details),
      String((error as Error).cause ?? ""),
    ].join("\n");
    expect(everything).not.toContain(token);
    expect(everything).not.toContain("secret-token");
  });

  it("retries network errors", async () => {
    let failures = 2;
    const unreliable: typeof fetch = (input, init) => {
      if (failures-- > 0) return Promise.reject(new TypeError("fetch failed", { cause: new Error("connect ECONNRESET") }));
      return fetch(input, init);
    };
    const views = makeViews(1);
    const result = await provider({ fetch: unreliable }).pageDurations(views);
    expect(result).toEqual(expected(views));
  });

  it("reports an unreachable Tinybird as a retryable UPSTREAM_UNAVAILABLE", async () => {
    const error = await provider({ apiUrl: "http://127.0.0.1:9", retry: { retries: 1, baseDelayMs: 10 } })
      .pageDurations(makeViews(1))
      .catch((e: unknown) => e);
    expect(error).toMatchObject({ code: "UPSTREAM_UNAVAILABLE", retryable: true });
    expect((error as Error).message).toMatch(/could not be reached/);
  });

  it("rejects an answer of the wrong shape as non-retryable (the deployed pipe does not match)", async () => {
    const wrongShape: typeof fetch = () => Promise.resolve(Response.json({ data: [{ page: 1, seconds: 2 }] }));
    const error = await provider({ fetch: wrongShape })
      .pageDurations(makeViews(1))
      .catch((e: unknown) => e);
    expect(error).toMatchObject({ retryable: false });
  });

  it("stops at once when the caller aborts", async () => {
    const controller = new AbortController();
    let sent = 0;
    // The caller gives up once the second answer is in, with 18 views still to fetch.
    const counting: typeof fetch = async (input, init) => {
      const response = await fetch(input, init);
      if (++sent === 2) controller.abort(new Error("export cancelled"));
      return response;
    };
    const pending = provider({ fetch: counting }).pageDurations(makeViews(20), { signal: controller.signal });
    await expect(pending).rejects.toThrow("export cancelled");
    const grantsAtAbort = record.grants().length;
    expect(grantsAtAbort).toBeLessThan(20);
    // Long enough for several more grants (a gap is 210 ms) had the waiters gone on.
    await sleep(1_000);
    expect(record.grants()).toHaveLength(grantsAtAbort);
  });

  it("accepts page numbers as strings, as Papermark's original datasource returns them", async () => {
    const stringy: typeof fetch = () => Promise.resolve(Response.json({ data: [{ pageNumber: "2", sum_duration: 1200.4 }] }));
    const [view] = makeViews(1);
    const result = await provider({ fetch: stringy }).pageDurations([view!]);
    expect(result.get(view!.viewId)).toEqual([{ pageNumber: 2, durationMs: 1200 }]);
  });
});

describe("TinybirdAnalyticsProvider, batched", () => {
  it("fetches 250 views in 3 calls and maps each row to its view", async () => {
    const views = makeViews(250);
    const seen: URL[] = [];
    const spy: typeof fetch = (input, init) => {
      seen.push(new URL(String(input)));
      return fetch(input, init);
    };
    const result = await provider({ mode: "batched", fetch: spy }).pageDurations(views);
    expect(result).toEqual(expected(views));
    const stats = fake.stats();
    expect(stats.calls).toBe(3);
    expect(stats.sent429).toBe(0);
    expect(seen.map((u) => u.pathname)).toEqual(Array(3).fill("/v0/pipes/export_view_durations_batched.json"));
    expect(seen.map((u) => u.searchParams.get("viewIds")!.split(",").length).sort()).toEqual([100, 100, 50]);
    expect(Object.keys(stats.callsByView)).toHaveLength(250);
  });

  it("retries a failed batch as a whole", async () => {
    const views = makeViews(150);
    fake.injectFault({ viewIds: [views[120]!.viewId], status: 502, times: 1 });
    const result = await provider({ mode: "batched" }).pageDurations(views);
    expect(result).toEqual(expected(views));
    expect(fake.stats().calls).toBe(3);
  });
});

describe("TinybirdAnalyticsProvider, user agents", () => {
  it("fetches 150 views' user agents in 2 calls of the user-agent pipe in either mode, an empty value as unknown", async () => {
    const views = makeViews(150);
    // Every other view has page views; the fake answers "" for a city it does not know.
    fake.setAgents(new Map(views.filter((_, i) => i % 2 === 0).map((v, i) => [v.viewId, { browser: "Chrome", os: "Linux", device: "Desktop", country: "NL", city: i % 3 ? "Utrecht" : "" }])));
    const seen: string[] = [];
    const spy: typeof fetch = (input, init) => {
      seen.push(new URL(String(input)).pathname);
      return fetch(input, init);
    };
    const agents = await provider({ mode: "per-view", fetch: spy }).viewAgents(views);
    expect(seen).toEqual(Array(2).fill("/v0/pipes/export_view_user_agents.json"));
    expect(agents.size).toBe(75);
    expect(agents.get(views[0]!.viewId)).toEqual({ browser: "Chrome", os: "Linux", device: "Desktop", country: "NL", city: null });
    expect(agents.get(views[2]!.viewId)).toEqual({ browser: "Chrome", os: "Linux", device: "Desktop", country: "NL", city: "Utrecht" });
    expect(agents.has(views[1]!.viewId)).toBe(false);
    expect(fake.stats()).toMatchObject({ sent429: 0, limitBreaches: 0, callsByPipe: { export_view_user_agents: 2 } });
    expect(Object.keys(fake.stats().agentCallsByView)).toHaveLength(150);
  });
});

describe("createAnalyticsProvider", () => {
  it("picks Tinybird when a token is set", () => {
    const p = createAnalyticsProvider({
      tinybird: { token: "t", apiUrl: fake.url, mode: "batched" },
      redis,
      db: {} as never,
    });
    expect(p.name).toBe("tinybird");
  });

  it("refuses Tinybird without Redis, since the limit could not be shared", () => {
    expect(() => createAnalyticsProvider({ tinybird: { token: "t", apiUrl: fake.url, mode: "batched" }, db: {} as never })).toThrow(/Redis/);
  });
});

describe("Retry-After parsing", () => {
  it("reads seconds and HTTP dates", () => {
    const now = Date.parse("2024-01-01T12:00:00Z");
    expect(parseRetryAfter("1", now)).toBe(1_000);
    expect(parseRetryAfter("0", now)).toBe(0);
    expect(parseRetryAfter("Mon, 01 Jan 2024 12:00:05 GMT", now)).toBe(5_000);
    expect(parseRetryAfter("Mon, 01 Jan 2024 11:00:00 GMT", now)).toBe(0);
    expect(parseRetryAfter("soon", now)).toBeUndefined();
    expect(parseRetryAfter(null, now)).toBeUndefined();
  });

  it("exposes the asked wait on the error", () => {
    const error = new TinybirdError("RATE_LIMITED", "x", { retryable: true, status: 429, retryAfterMs: 1_000 });
    expect(retryAfterMs(error)).toBe(1_000);
    expect(isRetryable(error)).toBe(true);
    expect(isRetryable(new DOMException("aborted", "AbortError"))).toBe(false);
  });
});
