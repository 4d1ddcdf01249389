/**
 * The Redis limiter on its own (several limiter instances stand for several processes) and
 * with the fake Tinybird as referee. Redis DB 4, with a fresh key prefix per test.
 */
import { setTimeout as sleep } from "node:timers/promises";

import { afterAll, beforeAll, describe, expect, it } from "vitest";

import { startFakeTinybird, type FakeTinybird } from "../../../dev/fake-tinybird";
import { TEST_REDIS_URL } from "../../../tests/support/test-env";
import { createRedis } from "~/server/redis";

import { durationsFor, makeViews, uniquePrefix } from "./__fixtures__/test-views";
import { TinybirdLimiter } from "./tinybird-limiter";
import { TinybirdAnalyticsProvider } from "./tinybird-provider";

const redis = createRedis({ redisUrl: TEST_REDIS_URL });
/** Extra clients, one per simulated process, closed at the end. */
const clients: ReturnType<typeof createRedis>[] = [];
const newClient = () => {
  const client = createRedis({ redisUrl: TEST_REDIS_URL });
  clients.push(client);
  return client;
};
afterAll(async () => {
  await Promise.all([redis, ...clients].map((c) => c.close()));
});

describe("TinybirdLimiter", () => {
  it("never grants more than 5 at once nor two starts within 200 ms, across limiter instances", async () => {
    const keyPrefix = uniquePrefix("limiter");
    // Three "processes", each with its own client, sharing the limit through Redis.
    const limiters = [0, 1, 2].map(() => new TinybirdLimiter({ redis: newClient(), keyPrefix }));
    let inFlight = 0;
    let maxInFlight = 0;
    const starts: number[] = [];
    const task = async (limiter: TinybirdLimiter) =>
      limiter.run(async () => {
        starts.push(performance.now());
        maxInFlight = Math.max(maxInFlight, ++inFlight);
        // Long enough that the concurrency cap, not only the gap, is exercised.
        await sleep(1_200);
        inFlight--;
      });
    await Promise.all(Array.from({ length: 15 }, (_, i) => task(limiters[i % 3]!)));

    expect(maxInFlight).toBe(5);
    starts.sort((a, b) => a - b);
    const gaps = starts.slice(1).map((t, i) => t - starts[i]!);
    // Measured here, after the Redis round trip, so allow a few ms of jitter; the fake test
    // below checks the gap where it matters, at the server.
    expect(Math.min(...gaps)).toBeGreaterThanOrEqual(190);
  });

  it("frees the slot of a holder that crashed once its lease expires", async () => {
    const limiter = new TinybirdLimiter({ redis, keyPrefix: uniquePrefix("crash"), maxConcurrent: 2, minGapMs: 0, gapMarginMs: 0, leaseTtlMs: 800 });
    // Two holders start their calls and never release, as if their process died.
    for (let i = 0; i < 2; i++) await (await limiter.acquire()).start();
    const refused = await limiter.tryAcquire();
    expect(refused.granted).toBe(false);
    if (!refused.granted) expect(refused.waitMs).toBeLessThanOrEqual(800);

    const started = performance.now();
    const lease = await limiter.acquire();
    const waited = performance.now() - started;
    expect(waited).toBeGreaterThan(500);
    expect(waited).toBeLessThan(2_000);
    await lease.release();
  });

  it("counts the gap from the start the holder confirms, not from the grant", async () => {
    const limiter = new TinybirdLimiter({ redis, keyPrefix: uniquePrefix("start") });
    const lease = await limiter.acquire();
    // The holder stalls after its grant; nobody else may go meanwhile.
    await sleep(300);
    const during = await limiter.tryAcquire();
    expect(during.granted).toBe(false);
    await lease.start();
    const after = await limiter.tryAcquire();
    expect(after.granted).toBe(false);
    if (!after.granted) expect(after.waitMs).toBeGreaterThan(190);
    await lease.release();
  });

  it("lets others go once an unstarted grant times out (its holder died before sending)", async () => {
    const limiter = new TinybirdLimiter({ redis, keyPrefix: uniquePrefix("unstarted"), confirmTimeoutMs: 400 });
    await limiter.acquire();
    const started = performance.now();
    const next = await limiter.acquire();
    const waited = performance.now() - started;
    expect(waited).toBeGreaterThan(300);
    expect(waited).toBeLessThan(1_000);
    await next.release();
  });

  it("gives a slot back at once on release", async () => {
    const limiter = new TinybirdLimiter({ redis, keyPrefix: uniquePrefix("release"), maxConcurrent: 1, minGapMs: 0, gapMarginMs: 0 });
    const lease = await limiter.acquire();
    expect((await limiter.tryAcquire()).granted).toBe(false);
    await lease.release();
    expect((await limiter.tryAcquire()).granted).toBe(true);
  });

  it("answers with the exact wait until the gap has passed", async () => {
    const limiter = new TinybirdLimiter({ redis, keyPrefix: uniquePrefix("gap") });
    expect((await limiter.tryAcquire()).granted).toBe(true);
    const second = await limiter.tryAcquire();
    expect(second.granted).toBe(false);
    if (!second.granted) {
      // 200 ms plus the default 10 ms margin, less the time since the first grant.
      expect(second.waitMs).toBeGreaterThan(160);
      expect(second.waitMs).toBeLessThanOrEqual(210);
    }
  });

  it("holds every caller off after holdOff, and never shortens an existing hold", async () => {
    const limiter = new TinybirdLimiter({ redis, keyPrefix: uniquePrefix("hold") });
    await limiter.holdOff(1_000);
    await limiter.holdOff(100);
    const attempt = await limiter.tryAcquire();
    expect(attempt.granted).toBe(false);
    if (!attempt.granted) expect(attempt.waitMs).toBeGreaterThan(900);
  });

  it("stops waiting when aborted, and leaves no lease behind", async () => {
    const limiter = new TinybirdLimiter({ redis, keyPrefix: uniquePrefix("abort"), maxConcurrent: 1, minGapMs: 0, gapMarginMs: 0 });
    const held = await limiter.acquire();
    const waiting = limiter.acquire({ signal: AbortSignal.timeout(100) });
    await expect(waiting).rejects.toThrow();
    await held.release();
    expect((await limiter.tryAcquire()).granted).toBe(true);
  });
});

describe("TinybirdLimiter, refereed by the fake Tinybird", () => {
  let fake: FakeTinybird;
  beforeAll(async () => {
    // 1.5 s per call: five calls in flight before the first returns, so the cap binds.
    fake = await startFakeTinybird({ latencyMs: 1_500, durations: durationsFor });
  });
  afterAll(() => fake.close());

  it("keeps ≤ 5 calls in flight and starts ≥ 200 ms apart: the fake sends no 429", async () => {
    const keyPrefix = uniquePrefix("refereed");
    const views = makeViews(20);
    // Two providers with their own clients, as two workers in one process.
    const providers = [0, 1].map(
      () =>
        new TinybirdAnalyticsProvider({
          apiUrl: fake.url,
          token: fake.token,
          mode: "per-view",
          limiter: new TinybirdLimiter({ redis: newClient(), keyPrefix }),
        }),
    );
    const [a, b] = await Promise.all([providers[0]!.pageDurations(views.slice(0, 10)), providers[1]!.pageDurations(views.slice(10))]);
    for (const v of views) expect((a.get(v.viewId) ?? b.get(v.viewId))!).toEqual(durationsFor(v.viewId));

    const stats = fake.stats();
    expect(stats.sent429).toBe(0);
    expect(stats.calls).toBe(20);
    expect(stats.maxInFlight).toBe(5);
    expect(stats.minStartGapMs).toBeGreaterThanOrEqual(195);
  });
});
