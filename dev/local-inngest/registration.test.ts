/**
 * The sync as the executor reads it: the options it implements become the function's config,
 * and every other option, or one it cannot honour as written, is refused by name. The real
 * SDK's sync, refused and accepted, is in ops.test.ts.
 */
import { describe, expect, it } from "vitest";

import { describeRefusal, readSync, syncBodySchema } from "./registration";

const URL = "http://127.0.0.1:3000/api/inngest?fnId=app-fn&stepId=step";

function sync(options: Record<string, unknown>) {
  const fn = { id: "app-fn", name: "Fn", triggers: [{ event: "app/go" }], steps: { step: { id: "step", name: "step", runtime: { type: "http", url: URL } } }, ...options };
  return readSync(syncBodySchema.parse({ url: "http://127.0.0.1:3000/api/inngest", functions: [fn] }));
}

describe("readSync", () => {
  it("keeps every option the executor implements", () => {
    const { functions, refusals } = sync({
      triggers: [{ event: "app/go", expression: "event.data.ok == true" }, { cron: "TZ=Europe/Paris 0 9 * * *" }],
      steps: { step: { id: "step", name: "step", runtime: { type: "http", url: URL }, retries: { attempts: 5 } } },
      concurrency: [{ limit: 2, key: "event.data.teamId" }, { limit: 9, key: "event.data.region", scope: "env" }],
      cancel: [{ event: "app/stop", if: "event.data.id == async.data.id", timeout: "1h" }],
      timeouts: { start: "1m", finish: "15m" },
      idempotency: "event.data.id",
      throttle: { limit: 1, period: "1s", burst: 2, key: "event.data.teamId" },
    });
    expect(refusals).toEqual([]);
    expect(functions).toEqual([
      {
        id: "app-fn",
        name: "Fn",
        triggers: [{ event: "app/go", expression: "event.data.ok == true" }, { cron: "TZ=Europe/Paris 0 9 * * *" }],
        url: URL,
        attempts: 6,
        concurrency: [{ limit: 2, key: "event.data.teamId" }, { limit: 9, key: "event.data.region", scope: "env" }],
        cancel: [{ event: "app/stop", if: "event.data.id == async.data.id", timeout: "1h" }],
        timeouts: { start: "1m", finish: "15m" },
        idempotency: "event.data.id",
        throttle: { limit: 1, period: "1s", burst: 2, key: "event.data.teamId" },
      },
    ]);
    expect(sync({}).functions[0]).toMatchObject({ attempts: 4, concurrency: [], cancel: [], timeouts: {} });
    expect(sync({ concurrency: 3 }).functions[0]!.concurrency).toEqual([{ limit: 3 }]);
  });

  it.each([
    [{ debounce: { period: "5s" } }, "debounce: not implemented by the local executor"],
    [{ batchEvents: { maxSize: 10, timeout: "5s" } }, "batchEvents: not implemented by the local executor"],
    [{ priority: { run: "event.data.p" } }, "priority: not implemented by the local executor"],
    [{ singleton: { mode: "skip" } }, "singleton: not implemented by the local executor"],
    [{ checkpoint: { maxRuntime: "1m" } }, "checkpoint: not implemented by the local executor"],
    [{ triggers: [{ cron: "* * * * *", jitter: "10s" }] }, "triggers[0].jitter: not implemented by the local executor"],
    [{ triggers: [{ cron: "61 * * * *" }] }, "triggers[0].cron: "],
    [{ triggers: [{ event: "app/go", expression: "size(event.data.items) > 2" }] }, 'triggers[0].expression: unsupported expression term "("'],
    [{ steps: { step: { id: "step", name: "step", runtime: { type: "ws", url: URL } } } }, 'steps.step.runtime.type: "ws" (connect) is not implemented by the local executor'],
    [{ concurrency: { limit: 2, scope: "account" } }, 'concurrency.key: required with scope "account"'],
    [{ concurrency: [{ limit: 0 }] }, "concurrency[0].limit: must be a positive integer"],
    [{ cancel: [{ event: "app/stop", timeout: "soon" }] }, 'cancel[0].timeout: not a duration: "soon"'],
    [{ timeouts: { finish: "2026-01-01T00:00:00Z" } }, "timeouts.finish: not a duration"],
    [{ throttle: { limit: 1, period: "1s", burst: -1 } }, "throttle.burst: must be 0 or more"],
    [{ rateLimit: { limit: 5, period: "1m" }, idempotency: "event.data.id" }, "rateLimit: cannot be combined with idempotency"],
  ])("refuses %j", (options, refusal) => {
    const { refusals } = sync(options);
    expect(refusals.map(describeRefusal).join("\n")).toContain(`app-fn: ${refusal}`);
  });
});
