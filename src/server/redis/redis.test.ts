import { randomUUID } from "node:crypto";

import { Ratelimit } from "@upstash/ratelimit";
import { Redis as IORedis } from "ioredis";
import { afterAll, describe, expect, it, vi } from "vitest";

import { TEST_REDIS_URL as REDIS_URL } from "../../../tests/support/test-env";
import { AppError } from "~/server/errors";
import { type AppRedis, closeRedis, createRedis, stripUnsupportedFlags, subscriberOn, TcpRequester } from "~/server/redis";

const prefix = `test:redis:${randomUUID()}:`;

const redis: AppRedis = createRedis({ redisUrl: REDIS_URL });
const others: AppRedis[] = [];

afterAll(async () => {
  const keys = await redis.keys(`${prefix}*`);
  if (keys.length) await redis.del(...keys);
  await Promise.all([redis, ...others].map((r) => closeRedis(r)));
});

describe("script flags Redis 7.0 refuses", () => {
  it("drops allow-key-locking and keeps every other flag and the line count", () => {
    expect(stripUnsupportedFlags("#!lua flags=allow-key-locking\nreturn 1")).toBe("#!lua\nreturn 1");
    expect(stripUnsupportedFlags("#!lua flags=no-writes,allow-key-locking\nreturn 1")).toBe("#!lua flags=no-writes\nreturn 1");
    expect(stripUnsupportedFlags("#!lua name=lib flags=allow-key-locking\nreturn 1")).toBe("#!lua name=lib\nreturn 1");
    expect(stripUnsupportedFlags("#!lua flags=no-writes\nreturn 1")).toBe("#!lua flags=no-writes\nreturn 1");
    expect(stripUnsupportedFlags("return 'allow-key-locking'")).toBe("return 'allow-key-locking'");
  });
});

describe("@upstash/redis over the TCP requester (real Redis 7.0)", () => {
  it("runs plain commands with Upstash's (de)serialisation", async () => {
    await redis.set(`${prefix}json`, { a: 1, b: "two" });
    expect(await redis.get(`${prefix}json`)).toEqual({ a: 1, b: "two" });
    expect(await redis.get(`${prefix}missing`)).toBeNull();
    expect(await redis.incr(`${prefix}n`)).toBe(1);
    await redis.set(`${prefix}emoji`, "naïve 📈");
    expect(await redis.get(`${prefix}emoji`)).toBe("naïve 📈");
    expect(await redis.set(`${prefix}nx`, "x", { nx: true, ex: 60 })).toBe("OK");
    expect(await redis.set(`${prefix}nx`, "y", { nx: true, ex: 60 })).toBeNull();
  });

  it("hands the client Redis's flat HGETALL reply, which it turns into the same object as over HTTP", async () => {
    await redis.hset(`${prefix}h`, { status: "PENDING", rows: 3 });
    expect(await redis.hgetall(`${prefix}h`)).toEqual({ status: "PENDING", rows: 3 });
    expect(await redis.hgetall(`${prefix}none`)).toBeNull();

    const connection = new IORedis(REDIS_URL);
    const requester = new TcpRequester(connection, (error) => new AppError("UPSTREAM_UNAVAILABLE", String(error)));
    const raw = await requester.request<string[]>({ body: ["hgetall", `${prefix}h`] });
    connection.disconnect();
    expect(raw.result).toEqual(["status", "PENDING", "rows", "3"]);
  });

  it("runs explicit pipelines and transactions, reporting a command's error as Upstash does", async () => {
    const p = redis.pipeline();
    p.set(`${prefix}p1`, "x");
    p.get(`${prefix}p1`);
    p.zadd(`${prefix}z`, { score: 1, member: "a" });
    p.hgetall(`${prefix}h`);
    expect(await p.exec()).toEqual(["OK", "x", 1, { status: "PENDING", rows: 3 }]);

    const m = redis.multi();
    m.incr(`${prefix}m`);
    m.incr(`${prefix}m`);
    m.hgetall(`${prefix}h`);
    expect(await m.exec()).toEqual([1, 2, { status: "PENDING", rows: 3 }]);

    const bad = redis.pipeline();
    bad.set(`${prefix}s`, "text");
    bad.incr(`${prefix}s`);
    await expect(bad.exec()).rejects.toThrow(/Command 2 \[ incr \] failed: ERR value is not an integer/);
    const kept = redis.pipeline();
    kept.incr(`${prefix}s`);
    kept.get(`${prefix}s`);
    expect(await kept.exec({ keepErrors: true })).toEqual([
      { error: expect.stringMatching(/not an integer/), result: undefined },
      { error: undefined, result: "text" },
    ]);
  });

  it("discards a transaction Redis refuses while queueing, as the REST API does", async () => {
    const connection = new IORedis(REDIS_URL);
    const requester = new TcpRequester(connection, (error) => new AppError("UPSTREAM_UNAVAILABLE", String(error)));
    const request = requester.request({ path: ["multi-exec"], body: [["set", `${prefix}tx`, "1"], ["set", `${prefix}tx`]] });
    await expect(request).rejects.toThrow(/EXECABORT/);
    connection.disconnect();
    expect(await redis.get(`${prefix}tx`)).toBeNull();
  });

  it("auto-pipelines many concurrent commands into few round trips, each answer in its place", async () => {
    const before = (redis as unknown as { pipelineCounter: number }).pipelineCounter;
    const n = 500;
    await Promise.all(Array.from({ length: n }, (_, i) => redis.set(`${prefix}auto:${i}`, i)));
    const values = await Promise.all(Array.from({ length: n }, (_, i) => redis.get(`${prefix}auto:${i}`)));
    const pipelines = (redis as unknown as { pipelineCounter: number }).pipelineCounter - before;
    expect(values).toEqual(Array.from({ length: n }, (_, i) => i));
    expect(pipelines).toBeGreaterThan(0);
    expect(pipelines).toBeLessThan(10);
    // A failing command fails alone; its neighbours in the same pipeline still answer.
    const mixed = await Promise.allSettled([redis.get(`${prefix}auto:1`), redis.incr(`${prefix}json`), redis.get(`${prefix}auto:2`)]);
    expect(mixed.map((r) => r.status)).toEqual(["fulfilled", "rejected", "fulfilled"]);
  });

  it("evaluates scripts, and runs scripts flagged allow-key-locking by EVAL, EVALSHA and SCRIPT LOAD", async () => {
    expect(await redis.eval("return redis.call('INCRBY', KEYS[1], ARGV[1])", [`${prefix}e`], [5])).toBe(5);
    expect(await redis.evalRo("return redis.call('GET', KEYS[1])", [`${prefix}e`], [])).toBe(5);
    const flagged = `#!lua flags=allow-key-locking\nreturn redis.call('INCRBY', KEYS[1], ARGV[1]) -- ${prefix}`;
    expect(await redis.eval(flagged, [`${prefix}e`], [2])).toBe(7);
    const sha = await redis.scriptLoad(flagged);
    expect(sha).toMatch(/^[0-9a-f]{40}$/);
    expect(await redis.scriptExists(sha)).toEqual([1]);
    expect(await redis.evalsha(sha, [`${prefix}e`], [1])).toBe(8);
    // The client's Script helper computes the SHA of the text it holds, as ratelimit does.
    const script = redis.createScript<number>(flagged);
    expect(await script.exec([`${prefix}e`], ["1"])).toBe(9);
  });

  it("reports a script's runtime error with Redis's message", async () => {
    await expect(redis.eval("return redis.call('INCR', KEYS[1])", [`${prefix}json`], [])).rejects.toThrow(/not an integer/);
  });

  for (const [name, makeLimiter] of [
    ["sliding window", () => Ratelimit.slidingWindow(5, "30 s")],
    ["fixed window", () => Ratelimit.fixedWindow(5, "30 s")],
  ] as const) {
    it(`lets @upstash/ratelimit's ${name} pass exactly its limit, across two clients`, async () => {
      // A second client has no SHA map yet: it must go EVALSHA → NOSCRIPT → EVAL like a fresh process.
      const second = createRedis({ redisUrl: REDIS_URL });
      others.push(second);
      const limiters = [redis, second].map((r) => new Ratelimit({ redis: r, limiter: makeLimiter(), prefix: `${prefix}rl:${name}` }));
      const results: boolean[] = [];
      for (let i = 0; i < 6; i++) results.push((await limiters[i % 2]!.limit("user-1")).success);
      expect(results).toEqual([true, true, true, true, true, false]);
      const parallel = await Promise.all(Array.from({ length: 8 }, (_, i) => limiters[i % 2]!.limit("user-2")));
      expect(parallel.filter((r) => r.success)).toHaveLength(5);
    });
  }

  it("fails fast and clearly when Redis cannot be reached, naming host:port and never the password", async () => {
    const logged = vi.spyOn(console, "error").mockImplementation(() => {});
    const broken = createRedis({ redisUrl: "redis://:hunter2-planted@127.0.0.1:1/0" });
    const started = Date.now();
    const error = await broken.get("x").catch((e: unknown) => e);
    await broken.close();
    const logs = logged.mock.calls.map((c) => String(c[0])).join("\n");
    logged.mockRestore();
    expect(error).toBeInstanceOf(AppError);
    expect(error).toMatchObject({ code: "UPSTREAM_UNAVAILABLE" });
    expect((error as Error).message).toMatch(/^Redis at 127\.0\.0\.1:1 is unavailable: connect ECONNREFUSED/);
    expect((error as Error).message).not.toContain("hunter2");
    expect(logs).not.toContain("hunter2");
    expect(Date.now() - started).toBeLessThan(5_000);
  });

  it("refuses a malformed URL without echoing it", () => {
    expect(() => createRedis({ redisUrl: "not a url :secret-planted@" })).toThrow(/REDIS_URL is not a valid URL/);
    expect(() => createRedis({ redisUrl: "not a url :secret-planted@" })).not.toThrow(/secret-planted/);
    expect(() => createRedis({})).toThrow(/Redis is not configured/);
  });
});

describe("the change subscriber", () => {
  // ioredis writes a SUBSCRIBE at once while the socket is up but not yet ready, and the
  // connection's own ready check and SELECT then fail in subscriber mode. Seen under load: 100
  // REST downloads at once waiting on the job feed as the server's connection came up.
  it("takes a listener that arrives while its connection is connecting, and fails nothing", async () => {
    const connection = new IORedis(REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: null });
    const errors: string[] = [];
    connection.on("error", (error: Error) => errors.push(error.message));
    const subscriber = subscriberOn(connection);
    const channel = `${prefix}changes`;
    const received: string[] = [];
    const listening = new Promise<() => void>((resolve, reject) => {
      connection.once("connect", () => subscriber.listen(channel, { message: (payload) => received.push(payload), resync: () => {} }).then(resolve, reject));
    });
    await connection.connect();
    const leave = await listening;
    expect(connection.status).toBe("ready");
    await redis.publish(channel, "one");
    await vi.waitFor(() => expect(received).toEqual(["one"]));
    expect(errors).toEqual([]);
    leave();
    connection.disconnect();
  });
});
