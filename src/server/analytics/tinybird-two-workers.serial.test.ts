/**
 * The limit holds across processes: two worker processes, each fetching 50 views in
 * per-view mode at the same moment, share it through Redis. The fake Tinybird is the
 * referee: it answers 429 to any call that breaks the limit, so "no 429" is the proof.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { getPriority, setPriority } from "node:os";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";

import { afterAll, beforeAll, describe, expect, it } from "vitest";

import { startFakeTinybird, type FakeTinybird } from "../../../dev/fake-tinybird";
import { TEST_REDIS_URL } from "../../../tests/support/test-env";

import type { WorkerInput, WorkerOutput } from "./__fixtures__/per-view-worker";
import { durationsFor, makeViews, uniquePrefix } from "./__fixtures__/test-views";

const workerScript = fileURLToPath(new URL("./__fixtures__/per-view-worker.ts", import.meta.url));

let fake: FakeTinybird;
const children: ChildProcess[] = [];
const ownPriority = getPriority();

/**
 * The fake judges gaps by when it sees each call, 195 ms at least. On a shared two-core
 * machine a busy scheduler was measured delaying a call's arrival by 20–30 ms now and then,
 * which the referee would blame on the limiter. Raising the test's processes (the fake here,
 * and the workers) keeps the referee's clock about the limiter. Needs privileges; without
 * them the test runs as it is.
 */
function raisePriority(pid?: number) {
  try {
    setPriority(pid ?? 0, -10);
  } catch {
    // Not permitted: run at normal priority.
  }
}

beforeAll(async () => {
  raisePriority();
  // 700 ms per call, so that with starts 200 ms apart about four calls overlap: the test
  // shows the parallelism is used, not only that the limit is kept.
  fake = await startFakeTinybird({ latencyMs: 700, durations: durationsFor });
});
afterAll(async () => {
  for (const child of children) if (child.exitCode === null) child.kill();
  await fake.close();
  try {
    setPriority(ownPriority);
  } catch {
    // Lowering one's own priority is always allowed; nothing to do otherwise.
  }
});

/** Starts a worker and resolves once it says "ready"; `result` resolves with its output. */
function startWorker(input: WorkerInput) {
  const child = spawn(process.execPath, ["--import", "tsx", workerScript, JSON.stringify(input)], {
    cwd: fileURLToPath(new URL("../../..", import.meta.url)),
    stdio: ["pipe", "pipe", "pipe"],
  });
  children.push(child);
  raisePriority(child.pid);
  let stderr = "";
  child.stderr!.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
  const lines = createInterface({ input: child.stdout! });
  const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));

  const ready = new Promise<void>((resolve, reject) => {
    lines.once("line", (line) => (line === "ready" ? resolve() : reject(new Error(`worker said ${line}`))));
    void exited.then((code) => reject(new Error(`worker exited (${code}) before ready: ${stderr}`)));
  });
  const result = new Promise<WorkerOutput>((resolve, reject) => {
    void ready.then(() => lines.once("line", (line) => resolve(JSON.parse(line) as WorkerOutput)));
    void exited.then((code) => {
      if (code !== 0) reject(new Error(`worker exited with ${code}: ${stderr}`));
    });
  });
  return { ready, result, go: () => child.stdin!.write("go\n") };
}

describe("Tinybird limit across processes", () => {
  it("two workers × 50 views in per-view mode: no 429, all 100 correct, 1 < in flight ≤ 5", async () => {
    const keyPrefix = uniquePrefix("two-workers");
    const views = makeViews(100);
    const workers = [views.slice(0, 50), views.slice(50)].map((part) =>
      startWorker({ apiUrl: fake.url, token: fake.token, redisUrl: TEST_REDIS_URL, keyPrefix, views: part }),
    );
    await Promise.all(workers.map((w) => w.ready));
    fake.reset();
    for (const w of workers) w.go();
    const outputs = await Promise.all(workers.map((w) => w.result));

    const stats = fake.stats();
    // On failure, the referee's own stall says whether the machine or the limiter is to blame.
    expect(stats.breaches, `fake's event loop was held up for up to ${stats.eventLoopDelayMaxMs} ms`).toEqual([]);
    expect(stats.sent429).toBe(0);
    expect(stats.calls).toBe(100);
    expect(stats.maxInFlight).toBeGreaterThan(1);
    expect(stats.maxInFlight).toBeLessThanOrEqual(5);
    expect(stats.minStartGapMs).toBeGreaterThanOrEqual(195);

    const merged = Object.assign({}, ...outputs.map((o) => o.durations)) as WorkerOutput["durations"];
    expect(Object.keys(merged)).toHaveLength(100);
    for (const v of views) expect(merged[v.viewId]).toEqual(durationsFor(v.viewId));

    // Both workers really ran at once: each took about as long as the whole run, not half.
    const total = (stats.starts.at(-1)! - stats.starts[0]!) / 1000;
    expect(total).toBeGreaterThan(19);
    for (const o of outputs) expect(o.elapsedMs / 1000).toBeGreaterThan(total * 0.8);
  }, 90_000);
});
