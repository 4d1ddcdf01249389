import { Ratelimit } from "@upstash/ratelimit";
import { afterAll, describe, expect, it } from "vitest";

import { type AppRedis, createRedis } from "~/server/redis";

const prefix = `test:redis:${Date.now()}:`;

describe("@upstash/redis over the TCP requester (real Redis)", () => {
  const redis: AppRedis = createRedis({ redisUrl: "redis://127.0.0.1:6379/2" });

  afterAll(async () => {
    const keys = await redis.keys(`${prefix}*`);
    if (keys.length) await redis.del(...keys);
    await redis.close();
  });

  it("runs plain commands with Upstash's (de)serialisation", async () => {
    await redis.set(`${prefix}json`, { a: 1, b: "two" });
    expect(await redis.get(`${prefix}json`)).toEqual({ a: 1, b: "two" });
    expect(await redis.get(`${prefix}missing`)).toBeNull();
    expect(await redis.incr(`${prefix}n`)).toBe(1);
  });

  it("returns HGETALL as Upstash does: an object built from the flat reply", async () => {
    await redis.hset(`${prefix}h`, { status: "PENDING", rows: 3 });
    expect(await redis.hgetall(`${prefix}h`)).toEqual({ status: "PENDING", rows: 3 });
    expect(await redis.hgetall(`${prefix}none`)).toBeNull();
  });

  it("runs explicit pipelines and transactions, reporting each command's error", async () => {
    const p = redis.pipeline();
    p.set(`${prefix}p1`, "x");
    p.get(`${prefix}p1`);
    p.zadd(`${prefix}z`, { score: 1, member: "a" });
    expect(await p.exec()).toEqual(["OK", "x", 1]);

    const m = redis.multi();
    m.incr(`${prefix}m`);
    m.incr(`${prefix}m`);
    expect(await m.exec()).toEqual([1, 2]);

    const bad = redis.pipeline();
    bad.set(`${prefix}s`, "text");
    bad.incr(`${prefix}s`);
    await expect(bad.exec()).rejects.toThrow(/INCR.*not an integer/i);
  });

  it("auto-pipelines many concurrent commands correctly", async () => {
    const values = await Promise.all(Array.from({ length: 200 }, (_, i) => redis.set(`${prefix}auto:${i}`, i).then(() => redis.get(`${prefix}auto:${i}`))));
    expect(values).toEqual(Array.from({ length: 200 }, (_, i) => i));
  });

  it("evaluates scripts, with and without the allow-key-locking flag Redis 7.0 refuses", async () => {
    expect(await redis.eval("return redis.call('INCRBY', KEYS[1], ARGV[1])", [`${prefix}e`], [5])).toBe(5);
    const flagged = "#!lua flags=allow-key-locking\nreturn redis.call('INCRBY', KEYS[1], ARGV[1])";
    expect(await redis.eval(flagged, [`${prefix}e`], [2])).toBe(7);
    const sha = await redis.scriptLoad(flagged);
    expect(await redis.evalsha(sha, [`${prefix}e`], [1])).toBe(8);
  });

  for (const [name, limiter] of [
    ["sliding window", Ratelimit.slidingWindow(5, "10 s")],
    ["fixed window", Ratelimit.fixedWindow(5, "10 s")],
  ] as const) {
    it(`lets @upstash/ratelimit's ${name} pass exactly its limit`, async () => {
      const ratelimit = new Ratelimit({ redis, limiter, prefix: `${prefix}rl:${name}` });
      const results = [];
      for (let i = 0; i < 6; i++) results.push((await ratelimit.limit("user-1")).success);
      expect(results).toEqual([true, true, true, true, true, false]);
    });
  }

  it("fails clearly when Redis cannot be reached, without the password", async () => {
    const broken = createRedis({ redisUrl: "redis://:hunter2-planted@127.0.0.1:1/0" });
    const error = await broken.get("x").catch((e: unknown) => e as Error);
    await broken.close();
    expect(error).toBeInstanceOf(Error);
    expect(String((error as Error).message)).not.toContain("hunter2-planted");
  });
});
