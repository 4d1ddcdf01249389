/**
 * The fake must be trustworthy before its "zero 429s" can prove anything about the limiter:
 * these tests break each rule on purpose and check that it notices.
 */
import { setTimeout as sleep } from "node:timers/promises";

import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";

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

  it("answers 429 to a call that starts within 195 ms of the previous one", async () => {
    expect((await perView("documentId=d1&viewId=v1")).status).toBe(200);
    const res = await perView("documentId=d1&viewId=v2");
    expect(res.status).toBe(429);
    expect(res.headers.get("retry-after")).toBe("1");
    const stats = fake.stats();
    expect(stats.sent429).toBe(1);
    expect(stats.limitBreaches).toBe(1);
    expect(stats.breaches[0]?.reason).toBe("gap");
  });

  it("accepts calls 200 ms apart", async () => {
    for (let i = 0; i < 3; i++) {
      expect((await perView("documentId=d1&viewId=v1")).status).toBe(200);
      await sleep(205);
    }
    expect(fake.stats().sent429).toBe(0);
    expect(fake.stats().minStartGapMs).toBeGreaterThanOrEqual(195);
  });

  it("answers 429 to a sixth call in flight, even when the gaps are respected", async () => {
    const slow = await startFakeTinybird({ latencyMs: 1_500, durations: new Map() });
    try {
      const calls: Promise<Response>[] = [];
      for (let i = 0; i < 6; i++) {
        calls.push(fetch(`${slow.url}/v0/pipes/export_view_durations.json?documentId=d&viewId=v${i}`, { headers: { authorization: `Bearer ${slow.token}` } }));
        await sleep(210);
      }
      const statuses = (await Promise.all(calls)).map((r) => r.status);
      expect(statuses).toEqual([200, 200, 200, 200, 200, 429]);
      expect(slow.stats().maxInFlight).toBe(5);
      expect(slow.stats().breaches[0]?.reason).toBe("concurrency");
    } finally {
      await slow.close();
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
