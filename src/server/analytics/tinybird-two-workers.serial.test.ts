/**
 * The limit holds across processes: two worker processes, each fetching 50 views in
 * per-view mode at the same moment, share it through Redis. The proof is the limiter's own
 * record from both processes (Redis time): never more than 5 leases held, starts at least
 * 200 ms apart. The fake Tinybird referees from the far side and refuses what no jitter
 * explains (a sixth call in flight, calls far closer than 200 ms).
 */
import { spawn, type ChildProcess } from "node:child_process";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";

import { afterAll, beforeAll, describe, expect, it } from "vitest";

import { startFakeTinybird, type FakeTinybird } from "../../../dev/fake-tinybird";
import { TEST_REDIS_URL } from "../../../tests/support/test-env";

import { limitUse } from "./__fixtures__/limiter-record";
import type { WorkerInput, WorkerOutput } from "./__fixtures__/per-view-worker";
import { durationsFor, makeViews, uniquePrefix } from "./__fixtures__/test-views";
import { TINYBIRD_LIMITS } from "./tinybird-limiter";

const workerScript = fileURLToPath(new URL("./__fixtures__/per-view-worker.ts", import.meta.url));

let fake: FakeTinybird;
const children: ChildProcess[] = [];

beforeAll(async () => {
  // 700 ms per call, so that with starts 200 ms apart about four calls overlap: the test
  // shows the parallelism is used, not only that the limit is kept.
  fake = await startFakeTinybird({ latencyMs: 700, durations: durationsFor });
});
afterAll(async () => {
  for (const child of children) if (child.exitCode === null) child.kill();
  await fake.close();
});

/** Starts a worker and resolves once it says "ready"; `result` resolves with its output. */
function startWorker(input: WorkerInput) {
  const child = spawn(process.execPath, ["--import", "tsx", workerScript, JSON.stringify(input)], {
    cwd: fileURLToPath(new URL("../../..", import.meta.url)),
    stdio: ["pipe", "pipe", "pipe"],
  });
  children.push(child);
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
    expect(stats.breaches).toEqual([]);
    expect(stats.sent429).toBe(0);
    expect(stats.calls).toBe(100);

    const use = limitUse(outputs.flatMap((o) => o.limiterEvents));
    expect(use.starts).toBe(100);
    expect(use.minStartGapMs).toBeGreaterThanOrEqual(TINYBIRD_LIMITS.minGapMs);
    expect(use.maxInFlight).toBeGreaterThan(1);
    expect(use.maxInFlight).toBeLessThanOrEqual(TINYBIRD_LIMITS.maxConcurrent);

    const merged = Object.assign({}, ...outputs.map((o) => o.durations)) as WorkerOutput["durations"];
    expect(Object.keys(merged)).toHaveLength(100);
    for (const v of views) expect(merged[v.viewId]).toEqual(durationsFor(v.viewId));

    // Both workers really ran at once: each started calls while the other was still starting its own.
    const [a, b] = outputs.map((o) => o.limiterEvents.filter((e) => e.type === "start").map((e) => e.atMs));
    expect(Math.min(...a!)).toBeLessThan(Math.max(...b!));
    expect(Math.min(...b!)).toBeLessThan(Math.max(...a!));
  }, 90_000);
});
