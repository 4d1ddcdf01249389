/**
 * The local executor against the real `inngest` SDK: functions served by the SDK's own
 * handler on a local HTTP server, driven by the executor over HTTP, one feature at a time.
 * The SDK is in cloud mode, as in production: it checks the executor's signature on every
 * call, and the executor checks the SDK's keys and its signed answers.
 */
import { fork } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

import { Inngest, NonRetriableError, RetryAfterError } from "inngest";
import { serve } from "inngest/node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

import { type LocalInngest, type Run, startLocalInngest } from "./index";
import { hashedSigningKey, newEventKey, newSigningKey, SIGNATURE_HEADER, verifySignature } from "./signature";
import { freePort, until } from "./test-support";

const dir = mkdtempSync(path.join(tmpdir(), "local-inngest-"));
let app: Server;
let appUrl: string;
let executor: LocalInngest;
let executorUrl: string;
const counters = new Map<string, number>();
const count = (key: string) => counters.set(key, (counters.get(key) ?? 0) + 1).get(key)!;
const gates = new Map<string, () => void>();
const spans: { key: string; start: number; end: number }[] = [];

const executorPort = await freePort();
const signingKey = newSigningKey("test");
const eventKey = newEventKey();
const keys = { signingKey, eventKey };
const client = new Inngest({ id: "executor-test", isDev: false, baseUrl: `http://127.0.0.1:${executorPort}`, ...keys });
const apiAuth = { authorization: `Bearer ${signingKey}` };
/** Inngest's retry schedule at a 200th: 75 ms (+ up to 150 ms of jitter), 150 ms, …. */
const BACKOFF_SCALE = 0.005;

const functions = [
  client.createFunction({ id: "memo", triggers: [{ event: "test/memo" }] }, async ({ event, step }) => {
    const a = await step.run("first", () => count(`memo:first:${event.data.key}`));
    const b = await step.run("second", () => count(`memo:second:${event.data.key}`));
    const [c, d] = await Promise.all([step.run("left", () => "L"), step.run("right", () => "R")]);
    await step.sleep("nap", "1s");
    return { a, b, c, d };
  }),
  client.createFunction({ id: "flaky", retries: 3, triggers: [{ event: "test/flaky" }] }, async ({ event, step }) =>
    step.run("sometimes fails", () => {
      const n = count(`flaky:${event.data.key}`);
      if (n < 3) throw new Error(`attempt ${n} failed`);
      return n;
    }),
  ),
  client.createFunction({ id: "retry-after", retries: 1, triggers: [{ event: "test/retry-after" }] }, async ({ event, step }) =>
    step.run("asks to wait", () => {
      if (count(`retry-after:${event.data.key}`) === 1) throw new RetryAfterError("busy", "2s");
      return Date.now();
    }),
  ),
  client.createFunction(
    {
      id: "doomed",
      retries: 1,
      triggers: [{ event: "test/doomed" }],
      onFailure: async ({ event, error }) => {
        count(`doomed:onFailure:${event.data.event.data.key}:${error.message}`);
      },
    },
    async ({ event, step }) =>
      step.run("always fails", () => {
        count(`doomed:${event.data.key}`);
        if (event.data.permanent) throw new NonRetriableError("no point retrying");
        throw new Error("still broken");
      }),
  ),
  client.createFunction(
    { id: "cancellable", triggers: [{ event: "test/cancellable" }], cancelOn: [{ event: "test/cancel", match: "data.key" }] },
    async ({ event, step }) => {
      await step.run("before", () => count(`cancellable:before:${event.data.key}`));
      await step.sleep("wait", "3s");
      await step.run("after", () => count(`cancellable:after:${event.data.key}`));
    },
  ),
  client.createFunction(
    { id: "limited", triggers: [{ event: "test/limited" }], concurrency: { limit: 1, key: "event.data.group" } },
    async ({ event, step }) =>
      step.run("work", async () => {
        const start = Date.now();
        await new Promise((r) => setTimeout(r, 300));
        spans.push({ key: String(event.data.group), start, end: Date.now() });
      }),
  ),
  client.createFunction({ id: "slowpoke", timeouts: { finish: "1s" }, triggers: [{ event: "test/slowpoke" }] }, async ({ step }) => {
    await step.sleep("long nap", "3s");
    await step.run("never", () => count("slowpoke:never"));
  }),
  client.createFunction({ id: "once", idempotency: "event.data.key", triggers: [{ event: "test/once" }] }, async ({ event, step }) =>
    step.run("count", () => count(`once:${event.data.key}`)),
  ),
];

/** A function whose second step waits until the test opens its gate. */
const gatedFunction = (on: Inngest.Any) =>
  on.createFunction({ id: "gated", triggers: [{ event: "test/gated" }] }, async ({ event, step }) => {
    await step.run("one", () => count(`gated:one:${event.data.key}`));
    await step.run("two", () => new Promise<number>((resolve) => gates.set(String(event.data.key), () => resolve(count(`gated:two:${event.data.key}`)))));
    return "done";
  });

async function runsOf(fn: string, key: string): Promise<Run[]> {
  const response = await fetch(`${executorUrl}/v1/runs?function=${fn}`, { headers: apiAuth });
  const { data } = (await response.json()) as { data: Run[] };
  return data.filter((r) => r.event.data.key === key);
}

const finished = (runs: Run[]) => runs.length > 0 && runs.every((r) => ["Completed", "Failed", "Cancelled"].includes(r.status));

beforeAll(async () => {
  app = createServer(serve({ client, functions, servePath: "/api/inngest" }));
  await new Promise<void>((r) => app.listen(0, "127.0.0.1", r));
  appUrl = `http://127.0.0.1:${(app.address() as AddressInfo).port}/api/inngest`;
  executor = await startLocalInngest({ port: executorPort, appUrls: [appUrl], dataDir: path.join(dir, "state"), ...keys, backoffScale: BACKOFF_SCALE, log: () => {} });
  executorUrl = executor.url;
  await executor.sync();
});

afterAll(async () => {
  await executor.close();
  app.closeAllConnections();
  await new Promise((r) => app.close(r));
  rmSync(dir, { recursive: true, force: true });
});

describe("local Inngest executor with the real SDK", () => {
  it("runs each step once, memoises results, runs parallel steps and sleeps", async () => {
    await client.send({ name: "test/memo", data: { key: "m1" } });
    const [run] = await until(() => runsOf("memo", "m1"), finished);
    expect(run).toMatchObject({ status: "Completed", output: { a: 1, b: 1, c: "L", d: "R" } });
    expect(counters.get("memo:first:m1")).toBe(1);
    expect(counters.get("memo:second:m1")).toBe(1);
    expect(run!.history.map((h) => [h.name, h.status])).toEqual([
      ["first", "ok"],
      ["second", "ok"],
      ["left", "ok"],
      ["right", "ok"],
      ["nap", "sleep"],
    ]);
    expect(Date.parse(run!.endedAt!) - Date.parse(run!.startedAt!)).toBeGreaterThanOrEqual(1000);
  });

  it("retries a failing step on Inngest's schedule until it succeeds", async () => {
    await client.send({ name: "test/flaky", data: { key: "f1" } });
    const [run] = await until(() => runsOf("flaky", "f1"), finished);
    expect(run).toMatchObject({ status: "Completed", output: 3 });
    expect(run!.history.map((h) => h.status)).toEqual(["retry", "retry", "ok"]);
    // Each attempt came no sooner than the table allows: 15 s, then 30 s, at this test's scale.
    const at = run!.history.map((h) => Date.parse(h.at));
    expect(at[1]! - at[0]!).toBeGreaterThanOrEqual(15_000 * BACKOFF_SCALE);
    expect(at[2]! - at[1]!).toBeGreaterThanOrEqual(30_000 * BACKOFF_SCALE);
  });

  it("honours Retry-After", async () => {
    const sent = Date.now();
    await client.send({ name: "test/retry-after", data: { key: "r1" } });
    const [run] = await until(() => runsOf("retry-after", "r1"), finished);
    expect(run!.status).toBe("Completed");
    expect(Number(run!.output) - sent).toBeGreaterThanOrEqual(1900);
  });

  it("fails for good after the last retry and runs onFailure with the error", async () => {
    await client.send({ name: "test/doomed", data: { key: "d1" } });
    const [run] = await until(() => runsOf("doomed", "d1"), (r) => finished(r) && r[0]?.functionId.endsWith("doomed") === true);
    expect(run!.status).toBe("Failed");
    expect(counters.get("doomed:d1")).toBe(2);
    await until(async () => counters.get("doomed:onFailure:d1:still broken") ?? 0, (n) => n === 1);
  });

  it("does not retry a NonRetriableError", async () => {
    await client.send({ name: "test/doomed", data: { key: "d2", permanent: true } });
    await until(async () => counters.get("doomed:onFailure:d2:no point retrying") ?? 0, (n) => n === 1);
    expect(counters.get("doomed:d2")).toBe(1);
  });

  it("cancels a run on a matching event, before its later steps", async () => {
    await client.send({ name: "test/cancellable", data: { key: "c1" } });
    await client.send({ name: "test/cancellable", data: { key: "c2" } });
    await until(async () => counters.get("cancellable:before:c1") ?? 0, (n) => n === 1);
    await client.send({ name: "test/cancel", data: { key: "c1" } });
    const [cancelled] = await until(() => runsOf("cancellable", "c1"), finished);
    const [untouched] = await until(() => runsOf("cancellable", "c2"), finished);
    expect(cancelled!.status).toBe("Cancelled");
    expect(untouched!.status).toBe("Completed");
    expect(counters.get("cancellable:after:c1")).toBeUndefined();
  });

  it("keeps runs with the same concurrency key apart, and lets other keys run alongside", async () => {
    await client.send([
      { name: "test/limited", data: { group: "a", key: "l1" } },
      { name: "test/limited", data: { group: "a", key: "l2" } },
      { name: "test/limited", data: { group: "b", key: "l3" } },
    ]);
    await until(async () => spans.length, (n) => n === 3);
    const [a1, a2] = spans.filter((s) => s.key === "a");
    expect(a1!.end <= a2!.start || a2!.end <= a1!.start).toBe(true);
    const b = spans.find((s) => s.key === "b")!;
    expect(b.start < Math.max(a1!.end, a2!.end)).toBe(true);
  });

  it("cancels a run that outlives timeouts.finish", async () => {
    await client.send({ name: "test/slowpoke", data: { key: "s1" } });
    const [run] = await until(() => runsOf("slowpoke", "s1"), finished, 10_000);
    expect(run!.status).toBe("Cancelled");
    expect(counters.get("slowpoke:never")).toBeUndefined();
  });

  it("starts one run for two events with the same idempotency key", async () => {
    await client.send({ name: "test/once", data: { key: "i1" } });
    await client.send({ name: "test/once", data: { key: "i1" } });
    await until(() => runsOf("once", "i1"), finished);
    await new Promise((r) => setTimeout(r, 300));
    expect(await runsOf("once", "i1")).toHaveLength(1);
    expect(counters.get("once:i1")).toBe(1);
  });

  it("resumes a run from its last finished step after being killed with SIGKILL", async () => {
    const stateDir = path.join(dir, "killed");
    const port = await freePort();
    const killable = new Inngest({ id: "executor-kill-test", isDev: false, baseUrl: `http://127.0.0.1:${port}`, ...keys });
    const killableApp = createServer(serve({ client: killable, functions: [gatedFunction(killable)], servePath: "/api/inngest" }));
    await new Promise<void>((r) => killableApp.listen(0, "127.0.0.1", r));
    const killableUrl = `http://127.0.0.1:${(killableApp.address() as AddressInfo).port}/api/inngest`;
    const main = fileURLToPath(new URL("./main.ts", import.meta.url));
    const spawnExecutor = () =>
      fork(main, ["--port", String(port), "--app-url", killableUrl, "--data-dir", stateDir, "--backoff-scale", String(BACKOFF_SCALE)], {
        execArgv: ["--import", "tsx"],
        env: { ...process.env, INNGEST_SIGNING_KEY: signingKey, INNGEST_EVENT_KEY: eventKey },
        stdio: "ignore",
      });
    const first = spawnExecutor();
    await until(() => fetch(`http://127.0.0.1:${port}/health`).then((r) => r.json() as Promise<{ functions: number }>).catch(() => ({ functions: 0 })), (h) => h.functions > 0);
    await killable.send({ name: "test/gated", data: { key: "k1" } });
    await until(async () => counters.get("gated:one:k1") ?? 0, (n) => n === 1);
    await until(async () => gates.has("k1"), Boolean);
    first.kill("SIGKILL");
    await new Promise((r) => first.once("exit", r));
    // The step in flight when the executor died answers into the void, as after a crash.
    gates.get("k1")!();
    gates.delete("k1");

    const second = spawnExecutor();
    try {
      await until(async () => gates.has("k1"), Boolean);
      gates.get("k1")!();
      const runs = await until(
        () => fetch(`http://127.0.0.1:${port}/v1/runs?function=gated`, { headers: apiAuth }).then((r) => r.json() as Promise<{ data: Run[] }>).then((b) => b.data),
        (r) => r[0]?.status === "Completed",
      );
      expect(runs).toHaveLength(1);
      expect(counters.get("gated:one:k1")).toBe(1);
    } finally {
      second.kill("SIGKILL");
      killableApp.closeAllConnections();
      await new Promise((r) => killableApp.close(r));
    }
  });
});

describe("local Inngest executor authentication", () => {
  const register = (headers: Record<string, string>, body: unknown) =>
    fetch(`${executorUrl}/fn/register`, { method: "POST", headers: { "content-type": "application/json", ...headers }, body: JSON.stringify(body) });

  it("refuses a sync, an API call or an event without the app's keys", async () => {
    const impostor = { url: "http://127.0.0.1:9/api/inngest", functions: [{ id: "impostor-fn", triggers: [{ event: "test/memo" }], steps: {} }] };
    expect((await register({}, impostor)).status).toBe(401);
    expect((await register({ authorization: `Bearer ${hashedSigningKey(newSigningKey("test"))}` }, impostor)).status).toBe(401);
    expect((await fetch(`${executorUrl}/v1/runs`)).status).toBe(401);
    const event = await fetch(`${executorUrl}/e/not-the-key`, { method: "POST", body: JSON.stringify({ name: "test/memo", data: { key: "forged" } }) });
    expect(event.status).toBe(401);
    await new Promise((r) => setTimeout(r, 200));
    expect(await runsOf("memo", "forged")).toEqual([]);
    expect(executor.runs().some((r) => r.functionId === "impostor-fn")).toBe(false);
  });

  it("signs its calls, and fails an attempt whose answer the SDK did not sign", async () => {
    const calls: { signature: string | undefined; body: string }[] = [];
    // Something other than the SDK at the function's address: it answers 200 but cannot sign.
    const fake = createServer((req, res) => {
      let body = "";
      req.on("data", (chunk: Buffer) => (body += chunk.toString()));
      req.on("end", () => {
        calls.push({ signature: req.headers[SIGNATURE_HEADER] as string | undefined, body });
        res.writeHead(200, { "content-type": "application/json" }).end('{"forged":true}');
      });
    });
    await new Promise<void>((r) => fake.listen(0, "127.0.0.1", r));
    const fakeUrl = `http://127.0.0.1:${(fake.address() as AddressInfo).port}/api/inngest`;
    try {
      const fn = { id: "unsigned-answer", triggers: [{ event: "test/unsigned" }], steps: { step: { runtime: { url: fakeUrl }, retries: { attempts: 1 } } } };
      expect((await register({ authorization: `Bearer ${hashedSigningKey(signingKey)}` }, { url: fakeUrl, functions: [fn] })).status).toBe(200);
      await client.send({ name: "test/unsigned", data: { key: "u1" } });
      const [run] = await until(() => runsOf("unsigned-answer", "u1"), finished);
      expect(run).toMatchObject({ status: "Failed", error: { message: "answer not signed by the app (no signature, HTTP 200)" } });
      expect(run!.output).toBeUndefined();
      expect(calls).toHaveLength(2);
      for (const call of calls) expect(verifySignature(call.signature ?? null, call.body, signingKey)).toEqual({ ok: true });
    } finally {
      fake.closeAllConnections();
      await new Promise((r) => fake.close(r));
    }
  });
});

describe("local Inngest executor cron triggers", () => {
  const EVERY_MINUTE = "* * * * *";
  const PARIS_MORNING = "TZ=Europe/Paris 0 9 * * *";
  const stateDir = path.join(dir, "cron");
  const stateFile = path.join(stateDir, "state.json");
  const ticks: { name: string; cron: string; scheduledAt: string }[] = [];
  let port: number;
  let cronApp: Server;
  let cronUrl: string;
  let running: LocalInngest | undefined;

  const readState = () => JSON.parse(readFileSync(stateFile, "utf8")) as { crons: Record<string, number> };
  const everyMinuteKey = `cron-test-tick ${EVERY_MINUTE}`;
  /** Stops the executor and starts it again on the same state, with the cron's next slot set to `slot`. */
  async function restartWithSlot(slot?: number) {
    await running?.close();
    if (slot !== undefined) {
      const state = readState();
      state.crons[everyMinuteKey] = slot;
      writeFileSync(stateFile, JSON.stringify(state));
    }
    running = await startLocalInngest({ port, appUrls: [cronUrl], dataDir: stateDir, ...keys, backoffScale: BACKOFF_SCALE, log: () => {} });
    await running.sync();
  }
  const tickRuns = () => running!.runs().filter((r) => r.functionId === "cron-test-tick");
  const seconds = (ms: number) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, "Z");
  // Real minutes may begin during a test and run their own slots: look at one slot at a time.
  const ticksOf = (slot: number) => ticks.filter((t) => t.cron === EVERY_MINUTE && t.scheduledAt === seconds(slot));

  beforeAll(async () => {
    port = await freePort();
    const cronClient = new Inngest({ id: "cron-test", isDev: false, baseUrl: `http://127.0.0.1:${port}`, ...keys });
    const tick = cronClient.createFunction({ id: "tick", triggers: [{ cron: EVERY_MINUTE }, { cron: PARIS_MORNING }] }, ({ event }) => {
      const data = event.data as { cron: string; scheduledAt: string };
      ticks.push({ name: event.name, cron: data.cron, scheduledAt: data.scheduledAt });
    });
    cronApp = createServer(serve({ client: cronClient, functions: [tick], servePath: "/api/inngest" }));
    await new Promise<void>((r) => cronApp.listen(0, "127.0.0.1", r));
    cronUrl = `http://127.0.0.1:${(cronApp.address() as AddressInfo).port}/api/inngest`;
  });

  afterAll(async () => {
    await running?.close();
    cronApp.closeAllConnections();
    await new Promise((r) => cronApp.close(r));
  });

  it("schedules each cron trigger at its next slot, in its time zone", async () => {
    const before = Date.now();
    await restartWithSlot();
    const { crons } = readState();
    expect(Object.keys(crons).sort()).toEqual([`cron-test-tick ${EVERY_MINUTE}`, `cron-test-tick ${PARIS_MORNING}`]);
    expect(crons[everyMinuteKey]! % 60_000).toBe(0);
    expect(crons[everyMinuteKey]! - before).toBeLessThanOrEqual(60_000);
    const paris = new Intl.DateTimeFormat("en-GB", { timeZone: "Europe/Paris", hour: "2-digit", minute: "2-digit" });
    expect(paris.format(crons[`cron-test-tick ${PARIS_MORNING}`])).toBe("09:00");
  });

  it("fires a slot when it comes, with Inngest's scheduled event, and moves to the next minute", async () => {
    const slot = Date.now() + 1500;
    await restartWithSlot(slot);
    await until(async () => ticksOf(slot), (found) => found.length === 1, 10_000);
    expect(ticksOf(slot)).toEqual([{ name: "inngest/scheduled.timer", cron: EVERY_MINUTE, scheduledAt: seconds(slot) }]);
    const run = tickRuns().find((r) => r.event.id === seconds(slot));
    expect(Date.parse(run!.createdAt)).toBeGreaterThanOrEqual(slot);
    expect(run!.event).toMatchObject({ id: seconds(slot), ts: slot });
    const next = readState().crons[everyMinuteKey]!;
    expect(next % 60_000).toBe(0);
    expect(next).toBeGreaterThan(slot);
  });

  it("runs a slot that fell while the executor was down once, late, and never again after a restart", async () => {
    const missed = Date.now() - 20_000;
    await restartWithSlot(missed);
    await until(async () => ticksOf(missed), (found) => found.length === 1, 10_000);
    // Its run has ended too: a run still in flight at the restart would rightly be run again.
    await until(async () => tickRuns().find((r) => r.event.id === seconds(missed))?.status, (s) => s === "Completed");
    const next = readState().crons[everyMinuteKey]!;
    expect(next).toBeGreaterThan(Date.now());

    // Restarted within the same minute: the slot already ran, and the next one has not come.
    await restartWithSlot();
    await new Promise((r) => setTimeout(r, 500));
    expect(ticksOf(missed)).toHaveLength(1);
    // (Unless a minute began meanwhile, and that slot ran: then the next one is a minute on.)
    expect([next, next + 60_000]).toContain(readState().crons[everyMinuteKey]);
  });
});
