/**
 * The executor against the real `inngest` SDK, for what Inngest does beyond plain steps:
 * waitForEvent (resolved, refused by its condition, timed out), step.invoke, parallel steps
 * that really overlap, throttle and rateLimit, the timeouts of a run and of a cancel rule,
 * and the refusal of whatever it does not implement (options at sync, ops at run time).
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";

import { Inngest, NonRetriableError } from "inngest";
import { serve } from "inngest/node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

import { type LocalInngest, type Run, startLocalInngest } from "./index";
import { newEventKey, newSigningKey } from "./signature";
import { freePort, serveApp, until } from "./test-support";

const dir = mkdtempSync(path.join(tmpdir(), "local-inngest-ops-"));
const executorPort = await freePort();
const keys = { signingKey: newSigningKey("test"), eventKey: newEventKey() };
const baseUrl = `http://127.0.0.1:${executorPort}`;
const client = new Inngest({ id: "ops-test", isDev: false, baseUrl, ...keys });
const lines: string[] = [];
let executor: LocalInngest;
let app: Awaited<ReturnType<typeof serveApp>>;

const gates = new Map<string, () => void>();
const cancelledRuns: string[] = [];

/**
 * Resolves true once `parties` steps have arrived under `key`, or false after 5 s: steps run
 * one after another never all arrive together.
 */
const arrivals = new Map<string, { count: number; release: (() => void)[] }>();
async function barrier(key: string, parties: number): Promise<boolean> {
  const entry = arrivals.get(key) ?? { count: 0, release: [] };
  arrivals.set(key, entry);
  entry.count += 1;
  if (entry.count >= parties) {
    entry.release.forEach((release) => release());
    return true;
  }
  return new Promise<boolean>((resolve) => {
    entry.release.push(() => resolve(true));
    setTimeout(() => resolve(false), 5000);
  });
}

const child = client.createFunction({ id: "child", retries: 0, triggers: [{ event: "test/child" }] }, async ({ event }) => {
  if (event.data.fail) throw new NonRetriableError(`child refuses ${event.data.n}`);
  return { doubled: Number(event.data.n) * 2 };
});

const functions = [
  child,
  client.createFunction({ id: "approval", triggers: [{ event: "test/approval" }] }, async ({ event, step }) => {
    const approved = await step.waitForEvent("wait for approval", {
      event: "test/approved",
      timeout: "20s",
      if: "event.data.key == async.data.key && async.data.ok == true",
    });
    return { key: event.data.key, approved: approved?.data ?? null };
  }),
  client.createFunction({ id: "approval-timeout", triggers: [{ event: "test/approval-timeout" }] }, async ({ step }) => {
    const approved = await step.waitForEvent("wait briefly", { event: "test/approved", timeout: "1s", match: "data.key" });
    return { approved };
  }),
  client.createFunction({ id: "invoker", triggers: [{ event: "test/invoker" }] }, async ({ event, step }) => {
    const result = await step.invoke("double it", { function: child, data: { n: event.data.n } });
    let refusal: string | undefined;
    try {
      await step.invoke("ask for a refusal", { function: child, data: { n: event.data.n, fail: true } });
    } catch (error) {
      refusal = (error as Error).message;
    }
    return { result, refusal };
  }),
  client.createFunction({ id: "fan-out", triggers: [{ event: "test/fan-out" }] }, async ({ event, step }) => {
    const branch = (name: string) =>
      step.run(name, async () => {
        // Sub-millisecond times: the last step to arrive ends within a millisecond of its start.
        const start = performance.now();
        const met = await barrier(String(event.data.key), 3);
        return { start, end: performance.now(), met };
      });
    return Promise.all([branch("north"), branch("south"), branch("west")]);
  }),
  client.createFunction({ id: "throttled", throttle: { limit: 1, period: "1s", key: "event.data.group" }, triggers: [{ event: "test/throttled" }] }, async ({ step }) =>
    step.run("work", () => "done"),
  ),
  client.createFunction({ id: "rate-limited", rateLimit: { limit: 1, period: "1m", key: "event.data.group" }, triggers: [{ event: "test/rate-limited" }] }, async ({ step }) =>
    step.run("work", () => "done"),
  ),
  client.createFunction(
    { id: "slow-start", concurrency: { limit: 1 }, timeouts: { start: "1s" }, triggers: [{ event: "test/slow-start" }] },
    async ({ event, step }) => step.run("hold", () => new Promise<string>((resolve) => gates.set(String(event.data.key), () => resolve("released")))),
  ),
  client.createFunction(
    { id: "cancel-window", cancelOn: [{ event: "test/stop", match: "data.key", timeout: "1s" }], triggers: [{ event: "test/cancel-window" }] },
    async ({ step }) => {
      await step.sleep("nap", "2s");
      return step.run("after", () => "woke");
    },
  ),
  client.createFunction({ id: "deadline", timeouts: { finish: "1s" }, triggers: [{ event: "test/deadline" }] }, async ({ step }) => {
    await step.sleep("long nap", "10s");
  }),
  client.createFunction({ id: "signal", triggers: [{ event: "test/signal" }] }, async ({ step }) => {
    await step.waitForSignal("wait for a signal", { signal: "go", timeout: "5s", onConflict: "replace" });
  }),
  client.createFunction(
    { id: "cancel-listener", triggers: [{ event: "inngest/function.cancelled", if: "event.data.function_id == 'ops-test-slow-start'" }] },
    async ({ event }) => {
      cancelledRuns.push(String(event.data.run_id));
    },
  ),
];

const runsOf = async (fn: string, key?: string): Promise<Run[]> =>
  executor.runs().filter((r) => r.functionId === `ops-test-${fn}` && (key === undefined || r.event.data.key === key));
const ended = (runs: Run[]) => runs.length > 0 && runs.every((r) => ["Completed", "Failed", "Cancelled"].includes(r.status));

beforeAll(async () => {
  app = await serveApp(serve({ client, functions, servePath: "/api/inngest" }));
  executor = await startLocalInngest({ port: executorPort, appUrls: [app.url], dataDir: path.join(dir, "state"), ...keys, backoffScale: 0.005, log: (line) => lines.push(line) });
  await executor.sync();
});

afterAll(async () => {
  await executor.close();
  await app.close();
  rmSync(dir, { recursive: true, force: true });
});

describe("waitForEvent", () => {
  it("resumes with the first event that matches its condition, not with the ones that do not", async () => {
    await client.send({ name: "test/approval", data: { key: "w1" } });
    await until(() => runsOf("approval", "w1"), (r) => r[0]?.status === "Waiting");
    await client.send([
      { name: "test/approved", data: { key: "w1", ok: false } },
      { name: "test/approved", data: { key: "someone else", ok: true } },
    ]);
    await client.send({ name: "test/approved", data: { key: "w1", ok: true, by: "Ada" } });
    const [run] = await until(() => runsOf("approval", "w1"), ended);
    expect(run).toMatchObject({ status: "Completed", output: { key: "w1", approved: { key: "w1", ok: true, by: "Ada" } } });
    expect(run!.history.map((h) => [h.name, h.status, h.outcome])).toEqual([["wait for approval", "wait", "received"]]);
  });

  it("resumes with null at its timeout when no event matches", async () => {
    await client.send({ name: "test/approval-timeout", data: { key: "t1" } });
    await until(() => runsOf("approval-timeout", "t1"), (r) => r[0]?.status === "Waiting");
    await client.send({ name: "test/approved", data: { key: "not t1" } });
    const [run] = await until(() => runsOf("approval-timeout", "t1"), ended);
    expect(run).toMatchObject({ status: "Completed", output: { approved: null } });
    expect(run!.history.map((h) => h.outcome)).toEqual(["timed out"]);
    expect(Date.parse(run!.endedAt!) - Date.parse(run!.startedAt!)).toBeGreaterThanOrEqual(1000);
  });
});

describe("step.invoke", () => {
  it("runs the invoked function and hands its result, or its error, back to the invoking step", async () => {
    await client.send({ name: "test/invoker", data: { key: "i1", n: 21 } });
    const [run] = await until(() => runsOf("invoker", "i1"), ended);
    expect(run).toMatchObject({ status: "Completed", output: { result: { doubled: 42 } } });
    expect((run!.output as { refusal?: string }).refusal).toContain("child refuses 21");
    const invoked = (await runsOf("child")).filter((r) => (r.event.data._inngest as { source_run_id?: string }).source_run_id === run!.id);
    expect(invoked.map((r) => [r.event.name, r.status])).toEqual([
      ["inngest/function.invoked", "Completed"],
      ["inngest/function.invoked", "Failed"],
    ]);
    expect(run!.history.map((h) => [h.name, h.status, h.outcome])).toEqual([
      ["double it", "invoke", "completed"],
      ["ask for a refusal", "invoke", "failed"],
    ]);
  });
});

describe("parallel steps", () => {
  it("calls the steps of a Promise.all at once, so that they overlap in time", async () => {
    await client.send({ name: "test/fan-out", data: { key: "p1" } });
    const [run] = await until(() => runsOf("fan-out", "p1"), ended);
    expect(run!.status).toBe("Completed");
    const spans = run!.output as { start: number; end: number; met: boolean }[];
    expect(spans).toHaveLength(3);
    // Each step waits for the other two: had they run one after another, the first would have ended before the last began.
    expect(Math.max(...spans.map((s) => s.start))).toBeLessThan(Math.min(...spans.map((s) => s.end)));
    expect(spans.map((s) => s.met)).toEqual([true, true, true]);
    expect(run!.parallel).toBe(true);
    expect(run!.history.map((h) => [h.name, h.status])).toEqual([
      ["north", "ok"],
      ["south", "ok"],
      ["west", "ok"],
    ]);
  });
});

describe("flow control", () => {
  it("throttles starts to one a second per key, and lets another key start at once", async () => {
    await client.send(["a1", "a2", "a3"].map((key) => ({ name: "test/throttled", data: { group: "a", key } })));
    await client.send({ name: "test/throttled", data: { group: "b", key: "b1" } });
    const runs = await until(() => runsOf("throttled"), (r) => r.length === 4 && ended(r), 20_000);
    expect(runs.every((r) => r.status === "Completed")).toBe(true);
    const startOf = (key: string) => Date.parse(runs.find((r) => r.event.data.key === key)!.startedAt!);
    const starts = ["a1", "a2", "a3"].map(startOf).sort((x, y) => x - y);
    expect(starts[1]! - starts[0]!).toBeGreaterThanOrEqual(1000);
    expect(starts[2]! - starts[1]!).toBeGreaterThanOrEqual(1000);
    expect(startOf("b1")).toBeLessThan(starts[1]!);
  });

  it("skips a run over its rate limit, per key", async () => {
    await client.send([
      { name: "test/rate-limited", data: { group: "x", key: "r1" } },
      { name: "test/rate-limited", data: { group: "x", key: "r2" } },
      { name: "test/rate-limited", data: { group: "y", key: "r3" } },
    ]);
    const runs = await until(() => runsOf("rate-limited"), (r) => r.length === 2 && ended(r));
    expect(runs.map((r) => r.event.data.key).sort()).toEqual(["r1", "r3"]);
    expect(lines.some((line) => line.includes("ops-test-rate-limited: skipped test/rate-limited, rate limited (1 per 1m)"))).toBe(true);
  });
});

describe("timeouts", () => {
  it("cancels a run that has not started within timeouts.start, and emits inngest/function.cancelled", async () => {
    await client.send({ name: "test/slow-start", data: { key: "s1" } });
    await until(async () => gates.has("s1"), Boolean);
    await client.send({ name: "test/slow-start", data: { key: "s2" } });
    const [queued] = await until(() => runsOf("slow-start", "s2"), ended);
    expect(queued).toMatchObject({ status: "Cancelled", error: { name: "Timeout", message: "the run did not start within timeouts.start" } });
    expect(queued!.startedAt).toBeUndefined();
    await until(async () => cancelledRuns, (ids) => ids.includes(queued!.id));
    gates.get("s1")!();
    const [first] = await until(() => runsOf("slow-start", "s1"), ended);
    expect(first).toMatchObject({ status: "Completed", output: "released" });
  });

  it("cancels at start + timeouts.finish, in the middle of a sleep", async () => {
    await client.send({ name: "test/deadline", data: { key: "d1" } });
    const [run] = await until(() => runsOf("deadline", "d1"), ended);
    expect(run).toMatchObject({ status: "Cancelled", error: { name: "Timeout" } });
    const [nap] = run!.history;
    expect(nap).toMatchObject({ name: "long nap", status: "sleep" });
    expect(nap!.outcome).toBeUndefined();
    expect(Date.parse(run!.endedAt!)).toBeLessThan(Date.parse(nap!.until!));
    expect(Date.parse(run!.endedAt!) - Date.parse(run!.startedAt!)).toBeGreaterThanOrEqual(1000);
  });

  it("lets a cancel rule cancel only within its timeout", async () => {
    await client.send([
      { name: "test/cancel-window", data: { key: "c1" } },
      { name: "test/cancel-window", data: { key: "c2" } },
    ]);
    const [early] = await until(() => runsOf("cancel-window", "c2"), (r) => r.length === 1);
    await client.send({ name: "test/stop", data: { key: "c1" } });
    await until(async () => Date.now(), (now) => now > Date.parse(early!.createdAt) + 1100, 5000);
    await client.send({ name: "test/stop", data: { key: "c2" } });
    const [cancelled] = await until(() => runsOf("cancel-window", "c1"), ended);
    const [completed] = await until(() => runsOf("cancel-window", "c2"), ended);
    expect(cancelled).toMatchObject({ status: "Cancelled", error: { message: "cancelled by test/stop" } });
    expect(completed).toMatchObject({ status: "Completed", output: "woke" });
  });
});

describe("what the executor does not implement", () => {
  it("refuses a sync whose functions use options it does not implement, naming each function and option", async () => {
    const refusing = new Inngest({ id: "refusing", isDev: false, baseUrl, ...keys });
    const refusedApp = await serveApp(
      serve({
        client: refusing,
        servePath: "/api/inngest",
        functions: [
          refusing.createFunction({ id: "debounced", debounce: { period: "5s" }, priority: { run: "event.data.p" }, triggers: [{ event: "test/refused" }] }, () => "never"),
          refusing.createFunction({ id: "batched", batchEvents: { maxSize: 10, timeout: "5s" }, singleton: { mode: "skip" }, triggers: [{ event: "test/refused" }] }, () => "never"),
          refusing.createFunction({ id: "odd-key", concurrency: { limit: 1, key: "event.data.a + event.data.b" }, triggers: [{ event: "test/refused" }] }, () => "never"),
          refusing.createFunction({ id: "both", idempotency: "event.data.key", rateLimit: { limit: 5, period: "1m" }, triggers: [{ event: "test/refused" }] }, () => "never"),
        ],
      }),
    );
    try {
      const answer = await fetch(refusedApp.url, { method: "PUT" });
      expect(answer.status).toBe(400);
      const { message } = (await answer.json()) as { message: string };
      const refusals = [
        "refusing-debounced: debounce: not implemented by the local executor",
        "refusing-debounced: priority: not implemented by the local executor",
        "refusing-batched: batchEvents: not implemented by the local executor",
        "refusing-batched: singleton: not implemented by the local executor",
        'refusing-odd-key: concurrency.key: unsupported expression term "+" in: event.data.a + event.data.b',
        "refusing-both: rateLimit: cannot be combined with idempotency, which Inngest turns into a rate limit of 1 per 24 hours that replaces it",
      ];
      for (const refusal of refusals) {
        expect(message).toContain(refusal);
        expect(lines).toContain(`[inngest-local] refused the sync of ${refusedApp.url}: ${refusal}`);
      }
      await client.send({ name: "test/refused", data: { key: "x" } });
      expect(executor.runs().some((r) => r.functionId.startsWith("refusing-"))).toBe(false);
    } finally {
      await refusedApp.close();
    }
  });

  it("fails a run that uses a step op it does not implement, naming the op", async () => {
    await client.send({ name: "test/signal", data: { key: "g1" } });
    const [run] = await until(() => runsOf("signal", "g1"), ended);
    expect(run).toMatchObject({ status: "Failed", error: { message: 'the local executor does not implement the WaitForSignal step op (step "wait for a signal")' } });
  });
});
