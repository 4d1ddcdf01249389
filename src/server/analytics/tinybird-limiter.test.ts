/**
 * The Redis limiter on its own (several limiter instances stand for several processes) and
 * with the fake Tinybird as referee. The limit is checked on the limiter's own record of its
 * decisions (Redis time, see __fixtures__/limiter-record.ts), never on when this process
 * happened to run: on a loaded machine that is late by tens of ms.
 */
import { setTimeout as sleep } from "node:timers/promises";

import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";

import { startFakeTinybird, type FakeTinybird } from "../../../dev/fake-tinybird";
import { TEST_REDIS_URL } from "../../../tests/support/test-env";
import { createRedis } from "~/server/redis";

import { limitUse, recordLimiter, type LimiterRecord } from "./__fixtures__/limiter-record";
import { durationsFor, makeViews, uniquePrefix } from "./__fixtures__/test-views";
import { TINYBIRD_LIMITS, TinybirdLimiter } from "./tinybird-limiter";
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

const records: LimiterRecord[] = [];
/** A fresh key prefix and the record of its limit. */
function recorded(name: string) {
  const keyPrefix = uniquePrefix(name);
  const record = recordLimiter(keyPrefix);
  records.push(record);
  return { keyPrefix, record };
}
afterEach(() => {
  for (const record of records.splice(0)) record.stop();
});

/** The default gap between starts: Tinybird's 200 ms plus the limiter's margin. */
const GAP = TINYBIRD_LIMITS.minGapMs + 10;

describe("TinybirdLimiter", () => {
  it("never grants more than 5 at once nor two starts within 200 ms, across limiter instances", async () => {
    const { keyPrefix, record } = recorded("limiter");
    // Three "processes", each with its own client, sharing the limit through Redis.
    const limiters = [0, 1, 2].map(() => new TinybirdLimiter({ redis: newClient(), keyPrefix }));
    let started = 0;
    let inFlight = 0;
    let maxInFlight = 0;
    // Calls end only when the test lets them, five at a time, so that the cap binds however
    // slow the machine.
    let release!: () => void;
    let released = new Promise<void>((resolve) => (release = resolve));
    const task = (limiter: TinybirdLimiter) =>
      limiter.run(async () => {
        started++;
        maxInFlight = Math.max(maxInFlight, ++inFlight);
        await released;
        inFlight--;
      });
    const all = Promise.all(Array.from({ length: 15 }, (_, i) => task(limiters[i % 3]!)));
    for (let round = 1; round <= 3; round++) {
      await vi.waitFor(() => expect(started).toBeGreaterThanOrEqual(5 * round), { timeout: 20_000, interval: 10 });
      // Three more gaps' time: a limiter without the cap would let a sixth call in meanwhile.
      await sleep(3 * GAP);
      const open = release;
      released = new Promise<void>((resolve) => (release = resolve));
      open();
    }
    await all;

    expect(maxInFlight).toBe(5);
    const use = limitUse(record.events);
    expect(use).toMatchObject({ starts: 15, maxInFlight: 5 });
    expect(use.minStartGapMs).toBeGreaterThanOrEqual(TINYBIRD_LIMITS.minGapMs);
  });

  it("frees the slot of a holder that crashed once its lease expires", async () => {
    const { keyPrefix, record } = recorded("crash");
    const limiter = new TinybirdLimiter({ redis, keyPrefix, maxConcurrent: 2, minGapMs: 0, gapMarginMs: 0, leaseTtlMs: 800 });
    // Two holders start their calls and never release, as if their process died.
    for (let i = 0; i < 2; i++) await (await limiter.acquire()).start();
    const refused = await limiter.tryAcquire();
    expect(refused.granted).toBe(false);
    if (!refused.granted) expect(refused.waitMs).toBeLessThanOrEqual(800);

    const lease = await limiter.acquire();
    const [crashed, , next] = record.grants();
    // Granted only once the first crashed lease had expired, on Redis's clock.
    expect(next!.atMs - crashed!.atMs).toBeGreaterThanOrEqual(800);
    expect(next!.inFlight).toBeLessThanOrEqual(2);
    await lease.release();
  });

  it("counts the gap from the start the holder confirms, not from the grant", async () => {
    const { keyPrefix, record } = recorded("start");
    const limiter = new TinybirdLimiter({ redis, keyPrefix, confirmTimeoutMs: 60_000 });
    const lease = await limiter.acquire();
    // The holder stalls after its grant; nobody else may go meanwhile.
    await sleep(300);
    expect((await limiter.tryAcquire()).granted).toBe(false);
    await lease.start();
    await lease.release();
    const next = await limiter.acquire();
    await next.release();

    const [first, second] = record.grants();
    const [started] = record.starts();
    expect(started!.atMs - first!.atMs).toBeGreaterThanOrEqual(290);
    expect(second!.atMs - started!.atMs).toBeGreaterThanOrEqual(GAP);
  });

  it("lets others go once an unstarted grant times out (its holder died before sending)", async () => {
    const { keyPrefix, record } = recorded("unstarted");
    const limiter = new TinybirdLimiter({ redis, keyPrefix, confirmTimeoutMs: 400 });
    await limiter.acquire();
    const next = await limiter.acquire();
    await next.release();
    const [dead, after] = record.grants();
    // Redis expires the pending grant by its clock in whole ms, so it may free up to 1 ms early.
    expect(after!.atMs - dead!.atMs).toBeGreaterThanOrEqual(400 - 1);
    expect(record.starts()).toEqual([]);
  });

  it("gives a slot back at once on release", async () => {
    const limiter = new TinybirdLimiter({ redis, keyPrefix: uniquePrefix("release"), maxConcurrent: 1, minGapMs: 0, gapMarginMs: 0 });
    const lease = await limiter.acquire();
    expect((await limiter.tryAcquire()).granted).toBe(false);
    await lease.release();
    expect((await limiter.tryAcquire()).granted).toBe(true);
  });

  it("answers with the exact wait until the gap has passed", async () => {
    // A gap far longer than any stall of this process, so the second attempt is surely inside it.
    const limiter = new TinybirdLimiter({ redis, keyPrefix: uniquePrefix("gap"), minGapMs: 60_000 });
    const before = performance.now();
    expect((await limiter.tryAcquire()).granted).toBe(true);
    const second = await limiter.tryAcquire();
    const elapsed = performance.now() - before;
    expect(second.granted).toBe(false);
    if (!second.granted) {
      // The gap (60 s plus the 10 ms margin) less the time since the first grant, which was at
      // most `elapsed` (+1 ms: Redis's clock is read in whole ms).
      expect(second.waitMs).toBeLessThanOrEqual(60_010);
      expect(second.waitMs).toBeGreaterThanOrEqual(60_010 - elapsed - 1);
    }
  });

  it("holds every caller off after holdOff, in every process, and never shortens an existing hold", async () => {
    const { keyPrefix, record } = recorded("hold");
    const limiter = new TinybirdLimiter({ redis, keyPrefix });
    const elsewhere = new TinybirdLimiter({ redis: newClient(), keyPrefix });
    const before = performance.now();
    await limiter.holdOff(60_000);
    await limiter.holdOff(100);
    const attempt = await elsewhere.tryAcquire();
    const elapsed = performance.now() - before;
    expect(attempt.granted).toBe(false);
    if (!attempt.granted) expect(attempt.waitMs).toBeGreaterThanOrEqual(60_000 - elapsed - 1);
    const [long, short] = record.holdOffs();
    expect(long!.untilMs - long!.atMs).toBe(60_000);
    expect(short!.untilMs).toBe(long!.untilMs);
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
    // 1.5 s per call, so several calls are in flight at once.
    fake = await startFakeTinybird({ latencyMs: 1_500, durations: durationsFor });
  });
  afterAll(() => fake.close());

  it("keeps ≤ 5 calls in flight and starts ≥ 200 ms apart: the fake sends no 429", async () => {
    const { keyPrefix, record } = recorded("refereed");
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
    expect(stats.breaches).toEqual([]);
    expect(stats.calls).toBe(20);
    expect(stats.maxInFlight).toBeLessThanOrEqual(5);
    const use = limitUse(record.events);
    expect(use.starts).toBe(20);
    expect(use.maxInFlight).toBeGreaterThan(1);
    expect(use.maxInFlight).toBeLessThanOrEqual(5);
    expect(use.minStartGapMs).toBeGreaterThanOrEqual(TINYBIRD_LIMITS.minGapMs);
  });
});
