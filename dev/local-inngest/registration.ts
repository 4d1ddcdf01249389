/**
 * Reads the SDK's sync (`POST /fn/register`; docs/SDK_SPEC.md §4.3 in inngest/inngest, and
 * `functionConfigSchema` in node_modules/inngest/types.js for what SDK v4 sends). Every
 * function option the executor meets is either implemented or refused: a sync that uses
 * anything else (debounce, batchEvents, priority, singleton, a cron's jitter, an expression
 * it cannot evaluate, …) is refused whole, naming each function and option, so that nothing
 * is ignored in silence.
 */
import { z } from "zod";

import { parseCron } from "./cron";
import { checkExpression, durationMs } from "./expressions";
import type { CancelRule, Concurrency, FlowLimit, FunctionConfig, Trigger } from "./state";

const object = z.record(z.string(), z.unknown());

const functionSchema = z
  .object({
    id: z.string().min(1),
    name: z.string().optional(),
    triggers: z.array(object).default([]),
    steps: z.record(z.string(), object),
  })
  .catchall(z.unknown());

export const syncBodySchema = z.object({ url: z.string().min(1), functions: z.array(functionSchema).default([]) }).catchall(z.unknown());

export type SyncBody = z.infer<typeof syncBodySchema>;

/** An option of one function that the executor does not implement, and why. */
export type Refusal = { functionId: string; option: string; reason: string };

const NOT_IMPLEMENTED = "not implemented by the local executor";

/** "60s", "1m30s", "7d": a config duration (an ISO date is a Sleep's, not a config's). */
function configDuration(text: unknown): string {
  if (typeof text !== "string" || !/^(\d+(\.\d+)?(ms|s|m|h|d|w))+$/.test(text)) throw new Error(`not a duration: ${JSON.stringify(text)}`);
  durationMs(text);
  return text;
}

class Reader {
  readonly refusals: Refusal[] = [];
  constructor(private readonly functionId: string) {}

  refuse(option: string, reason: string) {
    this.refusals.push({ functionId: this.functionId, option, reason });
  }

  /** Refuses the keys of `value` that are not in `known`. */
  only(option: string, value: Record<string, unknown>, known: readonly string[]) {
    for (const key of Object.keys(value)) if (!known.includes(key) && value[key] !== undefined) this.refuse(option ? `${option}.${key}` : key, NOT_IMPLEMENTED);
  }

  /** `read(value)`, or undefined with a refusal naming `option` if it throws. */
  check<T>(option: string, read: () => T): T | undefined {
    try {
      return read();
    } catch (error) {
      this.refuse(option, (error as Error).message);
      return undefined;
    }
  }

  expression(option: string, value: unknown): string | undefined {
    if (value === undefined) return undefined;
    return this.check(option, () => {
      if (typeof value !== "string") throw new Error("must be a string");
      checkExpression(value);
      return value;
    });
  }

  record(option: string, value: unknown, known: readonly string[]): Record<string, unknown> | undefined {
    if (value === null || typeof value !== "object" || Array.isArray(value)) {
      this.refuse(option, "must be an object");
      return undefined;
    }
    const entries = value as Record<string, unknown>;
    this.only(option, entries, known);
    return entries;
  }

  positive(option: string, value: unknown): number | undefined {
    if (typeof value === "number" && Number.isInteger(value) && value > 0) return value;
    this.refuse(option, "must be a positive integer");
    return undefined;
  }

  /** A count that may be 0; `fallback` when it is not given. */
  count(option: string, value: unknown, fallback?: number): number | undefined {
    if (value === undefined) return fallback;
    if (typeof value === "number" && Number.isInteger(value) && value >= 0) return value;
    this.refuse(option, "must be 0 or more");
    return fallback;
  }

  list(option: string, value: unknown): unknown[] {
    if (value === undefined) return [];
    if (Array.isArray(value)) return value;
    this.refuse(option, "must be a list");
    return [];
  }

  flowLimit(option: string, value: unknown, known: readonly string[]): FlowLimit | undefined {
    const entries = this.record(option, value, known);
    if (!entries) return undefined;
    const limit = this.positive(`${option}.limit`, entries.limit);
    const period = this.check(`${option}.period`, () => configDuration(entries.period));
    const key = this.expression(`${option}.key`, entries.key);
    const burst = this.count(`${option}.burst`, entries.burst);
    if (limit === undefined || period === undefined) return undefined;
    return { limit, period, ...(key ? { key } : {}), ...(burst !== undefined ? { burst } : {}) };
  }
}

/** The options the executor implements; any other key of a function is refused. */
const FUNCTION_OPTIONS = ["id", "name", "triggers", "steps", "concurrency", "cancel", "timeouts", "idempotency", "throttle", "rateLimit"] as const;

function readFunction(fn: SyncBody["functions"][number]): { config: FunctionConfig; refusals: Refusal[] } {
  const read = new Reader(fn.id);
  read.only("", fn, FUNCTION_OPTIONS);

  const triggers: Trigger[] = fn.triggers.map((trigger, i) => {
    const option = `triggers[${i}]`;
    read.only(option, trigger, ["event", "expression", "cron"]);
    if (typeof trigger.cron === "string") {
      const cron = trigger.cron;
      read.check(`${option}.cron`, () => parseCron(cron));
      return { cron };
    }
    if (typeof trigger.event !== "string") {
      read.refuse(option, "needs an event or a cron");
      return {};
    }
    const expression = read.expression(`${option}.expression`, trigger.expression);
    return { event: trigger.event, ...(expression ? { expression } : {}) };
  });

  const stepEntries = Object.entries(fn.steps);
  if (stepEntries.length !== 1) read.refuse("steps", `${stepEntries.length} entries; the SDK sends one`);
  const [stepKey, step] = stepEntries[0] ?? ["step", {}];
  read.only(`steps.${stepKey}`, step, ["id", "name", "runtime", "retries"]);
  const runtime = read.record(`steps.${stepKey}.runtime`, step.runtime ?? {}, ["type", "url"]);
  if (runtime?.type !== undefined && runtime.type !== "http") read.refuse(`steps.${stepKey}.runtime.type`, `"${String(runtime.type)}" (connect) is ${NOT_IMPLEMENTED}; serve the functions over HTTP`);
  if (typeof runtime?.url !== "string") read.refuse(`steps.${stepKey}.runtime.url`, "missing");
  const retries = step.retries === undefined ? {} : read.record(`steps.${stepKey}.retries`, step.retries, ["attempts"]);
  // `retries` counts retries; Inngest's default is 3 when none is configured.
  const retryCount = read.count(`steps.${stepKey}.retries.attempts`, retries?.attempts, 3)!;

  const concurrency: Concurrency[] = (fn.concurrency === undefined ? [] : typeof fn.concurrency === "number" ? [{ limit: fn.concurrency }] : [fn.concurrency].flat()).flatMap((entry, i) => {
    const option = Array.isArray(fn.concurrency) ? `concurrency[${i}]` : "concurrency";
    const entries = read.record(option, entry, ["limit", "key", "scope"]);
    if (!entries) return [];
    const limit = read.positive(`${option}.limit`, entries.limit);
    const key = read.expression(`${option}.key`, entries.key);
    const scope = entries.scope;
    if (scope !== undefined && scope !== "fn" && scope !== "env" && scope !== "account") read.refuse(`${option}.scope`, `"${String(scope)}" is not a concurrency scope`);
    if ((scope === "env" || scope === "account") && !key) read.refuse(`${option}.key`, `required with scope "${scope}"`);
    if (limit === undefined) return [];
    return [{ limit, ...(key ? { key } : {}), ...(scope === "env" || scope === "account" ? { scope } : {}) }];
  });

  const cancel: CancelRule[] = read.list("cancel", fn.cancel).flatMap((rule, i) => {
    const option = `cancel[${i}]`;
    const entries = read.record(option, rule, ["event", "if", "timeout"]);
    if (!entries) return [];
    if (typeof entries.event !== "string") {
      read.refuse(`${option}.event`, "missing");
      return [];
    }
    const condition = read.expression(`${option}.if`, entries.if);
    const timeout = entries.timeout === undefined ? undefined : read.check(`${option}.timeout`, () => configDuration(entries.timeout));
    return [{ event: entries.event, ...(condition ? { if: condition } : {}), ...(timeout ? { timeout } : {}) }];
  });

  const timeouts: FunctionConfig["timeouts"] = {};
  if (fn.timeouts !== undefined) {
    const entries = read.record("timeouts", fn.timeouts, ["start", "finish"]);
    for (const which of ["start", "finish"] as const) {
      if (entries?.[which] === undefined) continue;
      const value = read.check(`timeouts.${which}`, () => configDuration(entries[which]));
      if (value) timeouts[which] = value;
    }
  }

  const idempotency = read.expression("idempotency", fn.idempotency);
  const throttle = fn.throttle === undefined ? undefined : read.flowLimit("throttle", fn.throttle, ["limit", "period", "key", "burst"]);
  const rateLimit = fn.rateLimit === undefined ? undefined : read.flowLimit("rateLimit", fn.rateLimit, ["limit", "period", "key"]);
  // Inngest implements idempotency as a rate limit of 1 per 24 hours, which replaces the function's own (pkg/sdk/function.go).
  if (idempotency && rateLimit) read.refuse("rateLimit", "cannot be combined with idempotency, which Inngest turns into a rate limit of 1 per 24 hours that replaces it");

  const config: FunctionConfig = {
    id: fn.id,
    name: fn.name,
    triggers,
    url: typeof runtime?.url === "string" ? runtime.url : "",
    attempts: retryCount + 1,
    concurrency,
    cancel,
    timeouts,
    ...(idempotency ? { idempotency } : {}),
    ...(throttle ? { throttle } : {}),
    ...(rateLimit ? { rateLimit } : {}),
  };
  return { config, refusals: read.refusals };
}

/** The functions of a sync, and a refusal for each option the executor does not implement (one is enough to refuse the sync). */
export function readSync(body: SyncBody): { functions: FunctionConfig[]; refusals: Refusal[] } {
  const read = body.functions.map(readFunction);
  return { functions: read.map((r) => r.config), refusals: read.flatMap((r) => r.refusals) };
}

export function describeRefusal(refusal: Refusal): string {
  return `${refusal.functionId}: ${refusal.option}: ${refusal.reason}`;
}
