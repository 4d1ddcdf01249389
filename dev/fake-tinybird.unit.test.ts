/**
 * The fake must be trustworthy before its "zero 429s" can prove anything about the limiter:
 * these tests break each rule on purpose and check that it notices, and check that it does
 * not blame a client for its own stalls.
 */
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";

import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";

import { startFakeTinybird, type FakeTinybird } from "./fake-tinybird";

let fake: FakeTinybird;

beforeAll(async () => {
  fake = await startFakeTinybird({
    latencyMs: 20,
    durations: new Map([
      ["v1", [{ pageNumber: 1, durationMs: 1500 }, { pageNumber: 2, durationMs: 300 }]],
      ["v2", [{ pageNumber: 1, durationMs: 42 }]],
    ]),
  });
});
afterAll(() => fake.close());
beforeEach(() => fake.reset());

const auth = () => ({ authorization: `Bearer ${fake.token}` });
const perView = (query: string, headers: Record<string, string> = auth()) =>
  fetch(`${fake.url}/v0/pipes/export_view_durations.json?${query}`, { headers });
const batched = (query: string) => fetch(`${fake.url}/v0/pipes/export_view_durations_batched.json?${query}`, { headers: auth() });

describe("fake Tinybird", () => {
  it("serves the per-view pipe", async () => {
    const res = await perView("documentId=d1&viewId=v1");
    expect(res.status).toBe(200);
    const body = (await res.json()) as { data: unknown[] };
    expect(body.data).toEqual([
      { pageNumber: 1, sum_duration: 1500 },
      { pageNumber: 2, sum_duration: 300 },
    ]);
  });

  it("serves the batched pipe, one row per view and page, unknown views with no rows", async () => {
    const res = await batched("viewIds=v1,v2,nope");
    const body = (await res.json()) as { data: unknown[] };
    expect(body.data).toEqual([
      { viewId: "v1", pageNumber: 1, sum_duration: 1500 },
      { viewId: "v1", pageNumber: 2, sum_duration: 300 },
      { viewId: "v2", pageNumber: 1, sum_duration: 42 },
    ]);
    expect(fake.stats().callsByView).toEqual({ v1: 1, v2: 1, nope: 1 });
  });

  it("answers 429 to a call that surely arrived within breachGapMs of the previous one", async () => {
    // A breach window far wider than any stall, so that the second call is surely inside it.
    const strict = await startFakeTinybird({ latencyMs: 20, breachGapMs: 60_000, durations: new Map() });
    try {
      const call = (view: string) =>
        fetch(`${strict.url}/v0/pipes/export_view_durations.json?documentId=d&viewId=${view}`, { headers: { authorization: `Bearer ${strict.token}` } });
      expect((await call("v1")).status).toBe(200);
      const res = await call("v2");
      expect(res.status).toBe(429);
      expect(res.headers.get("retry-after")).toBe("1");
      const stats = strict.stats();
      expect(stats.sent429).toBe(1);
      expect(stats.limitBreaches).toBe(1);
      expect(stats.breaches[0]?.reason).toBe("gap");
    } finally {
      await strict.close();
    }
  });

  it("accepts calls 200 ms apart", async () => {
    for (let i = 0; i < 3; i++) {
      expect((await perView("documentId=d1&viewId=v1")).status).toBe(200);
      await sleep(205);
    }
    expect(fake.stats().sent429).toBe(0);
  });

  it("does not blame a client for its own stall: two calls 200 ms apart read at once are not refused", async () => {
    // Another process sends two calls 210 ms apart while this process (the fake's) is held
    // up, as a descheduled or collecting process is; the fake then reads both in one go.
    const dir = mkdtempSync(path.join(tmpdir(), "fake-tinybird-stall-"));
    const sent = path.join(dir, "sent");
    const client = `
      const call = (v) => new Promise((resolve) => {
        const req = require("node:http").get(process.argv[1] + "&viewId=" + v, { headers: { authorization: "Bearer ${fake.token}" } });
        req.on("error", () => {});
        // Written to the socket: the call has reached the fake's machine.
        req.on("finish", resolve);
      });
      process.stdin.once("data", async () => {
        await call("v1");
        await new Promise((r) => setTimeout(r, 210));
        await call("v2");
        require("node:fs").writeFileSync(process.argv[2], "");
      });`;
    const child = spawn(process.execPath, ["-e", client, `${fake.url}/v0/pipes/export_view_durations.json?documentId=d1`, sent], { stdio: ["pipe", "ignore", "inherit"] });
    try {
      child.stdin.write("go\n");
      const deadline = Date.now() + 30_000;
      // Holds this event loop, synchronously, until both calls are on their way.
      while (!existsSync(sent) && Date.now() < deadline);
      expect(existsSync(sent)).toBe(true);
      await vi.waitFor(() => expect(fake.stats().calls).toBe(2), { timeout: 10_000 });
      const stats = fake.stats();
      expect(stats.breaches).toEqual([]);
      expect(stats.gapsExcused).toBe(1);
    } finally {
      child.kill();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("answers 429 to a sixth call in flight, and counts a call out of flight once answered", async () => {
    // Answers held for a minute, so the five are in flight whatever the machine's speed; the
    // gap rule is off, so only concurrency is judged.
    const slow = await startFakeTinybird({ latencyMs: 60_000, breachGapMs: 0, durations: new Map() });
    const call = (view: string) =>
      fetch(`${slow.url}/v0/pipes/export_view_durations.json?documentId=d&viewId=${view}`, { headers: { authorization: `Bearer ${slow.token}` } });
    try {
      const held = Array.from({ length: 5 }, (_, i) => call(`v${i}`).catch(() => undefined));
      await vi.waitFor(() => expect(slow.stats().calls).toBe(5), { timeout: 10_000 });
      expect((await call("v5")).status).toBe(429);
      expect(slow.stats()).toMatchObject({ maxInFlight: 5, limitBreaches: 1, breaches: [{ reason: "concurrency", inFlight: 5 }] });
      await slow.close();
      await Promise.all(held);
    } finally {
      await slow.close().catch(() => undefined);
    }

    const single = await startFakeTinybird({ latencyMs: 0, maxConcurrent: 1, breachGapMs: 0, durations: new Map() });
    try {
      // Each call is sent once the previous answer is in, so none overlaps another.
      for (let i = 0; i < 20; i++) {
        const res = await fetch(`${single.url}/v0/pipes/export_view_durations.json?documentId=d&viewId=v${i}`, { headers: { authorization: `Bearer ${single.token}` } });
        expect(res.status).toBe(200);
        await res.text();
      }
      expect(single.stats()).toMatchObject({ calls: 20, limitBreaches: 0, maxInFlight: 1 });
    } finally {
      await single.close();
    }
  });

  it("requires the bearer token", async () => {
    expect((await perView("documentId=d1&viewId=v1", {})).status).toBe(401);
    await sleep(205);
    expect((await perView("documentId=d1&viewId=v1", { authorization: "Bearer wrong" })).status).toBe(401);
  });

  it("answers 400 to missing or malformed params, and 404 to an unknown pipe", async () => {
    expect((await perView("documentId=d1")).status).toBe(400);
    await sleep(205);
    expect((await perView("documentId=d1&viewId=v1&versionNumber=x")).status).toBe(400);
    await sleep(205);
    expect((await batched("viewIds=")).status).toBe(400);
    await sleep(205);
    const tooMany = Array.from({ length: 101 }, (_, i) => `v${i}`).join(",");
    expect((await batched(`viewIds=${tooMany}`)).status).toBe(400);
    await sleep(205);
    const res = await fetch(`${fake.url}/v0/pipes/nope.json`, { headers: auth() });
    expect(res.status).toBe(404);
  });

  it("injects faults for given views a given number of times", async () => {
    fake.injectFault({ viewIds: ["v1"], status: 503, times: 2, retryAfter: "0" });
    const statuses: number[] = [];
    for (let i = 0; i < 3; i++) {
      const res = await perView("documentId=d1&viewId=v1");
      statuses.push(res.status);
      if (res.status === 503) expect(res.headers.get("retry-after")).toBe("0");
      await sleep(205);
    }
    expect((await perView("documentId=d1&viewId=v2")).status).toBe(200);
    expect(statuses).toEqual([503, 503, 200]);
    expect(fake.stats()).toMatchObject({ calls: 4, faultsSent: 2, sent429: 0, callsByView: { v1: 3, v2: 1 } });
  });

  it("reads durations from a function", async () => {
    fake.setDurations((viewId) => [{ pageNumber: 7, durationMs: viewId.length }]);
    const body = (await (await perView("documentId=d1&viewId=abcd")).json()) as { data: unknown[] };
    expect(body.data).toEqual([{ pageNumber: 7, sum_duration: 4 }]);
  });
});
