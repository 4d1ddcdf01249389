/**
 * Drives runs against an app's serve endpoint the way Inngest does (docs/SDK_SPEC.md in
 * inngest/inngest): each call sends the event and the memoised steps; a 206 answer carries
 * ops, a 200 the result, a 4xx/5xx a function error. Every call is signed with the signing
 * key, and an answer that is not signed back by the SDK is not trusted.
 *
 * - Ops: StepRun, StepPlanned (each planned step is called on its own, all at once: parallel
 *   steps overlap), Sleep, WaitForEvent (with `if`, resolved with the event or null at its
 *   timeout), InvokeFunction (the invoked run's result or error, or Inngest's timeout error),
 *   StepError, StepFailed, RunComplete. Any other op fails the run, naming it.
 * - Retries count per step and wait as Inngest's queue waits (backoff.ts); `x-inngest-no-retry`
 *   and Retry-After are honoured.
 * - Flow control: concurrency limits count calls in flight, as Inngest's count steps (a
 *   sleeping or waiting run holds no slot); throttle delays a run's start and rateLimit skips
 *   it (flow-control.ts); idempotency skips a repeated key for 24 hours; `cancelOn` (within
 *   its timeout), `timeouts.start` and `timeouts.finish` cancel runs, each on a timer.
 * - Every run's end emits `inngest/function.finished`, and `inngest/function.failed` or
 *   `inngest/function.cancelled`, in Inngest's shape (executor/finalize.go).
 * - Rerun starts a fresh run with the same event, bypassing idempotency and rateLimit, as
 *   Inngest's Rerun does (devserver/run_provider.go: `PreventRateLimit`).
 */
import { randomUUID } from "node:crypto";

import { retryAfterMs, retryDelayMs } from "./backoff";
import { nextSlot, parseCron, scheduledEvent } from "./cron";
import { checkExpression, durationMs, evaluateCondition, evaluateValue } from "./expressions";
import { gcra, rateLimitBurst } from "./flow-control";
import { HttpError } from "./incoming";
import { canonicalJson, SIGNATURE_HEADER, signBody, verifySignature } from "./signature";
import type { EventRecord, FunctionConfig, InngestEvent, Run, RunStatus, SerializedError, StateFile, StepRecord, Wait, WorkItem } from "./state";

type Op = { op: string; id: string; name?: string; displayName?: string; data?: unknown; error?: unknown; opts?: Record<string, unknown> };

const ACTIVE: ReadonlySet<RunStatus> = new Set(["Queued", "Running", "Waiting"]);
const DAY_MS = 86_400_000;
/** An invoke without a timeout waits a year, as Inngest's does (state/opcode.go, InvokeFunctionOpts.Expires). */
const INVOKE_DEFAULT_TIMEOUT_MS = 365 * DAY_MS;
/** setTimeout's longest delay; a later time is reached in steps. */
const MAX_TIMER_MS = 2 ** 31 - 1;
/** The stepId of a call that asks the SDK what comes next. */
const DISCOVERY = "step";
const MAX_STACK_CHARS = 8000;

export const FUNCTION_FINISHED = "inngest/function.finished";
export const FUNCTION_FAILED = "inngest/function.failed";
export const FUNCTION_CANCELLED = "inngest/function.cancelled";
export const FUNCTION_INVOKED = "inngest/function.invoked";

export const isActive = (run: Run) => ACTIVE.has(run.status);

export type ExecutorOptions = {
  signingKey: string;
  /** Multiplies Inngest's retry schedule (1: its real seconds-to-hours table). */
  backoffScale: number;
  log: (line: string) => void;
};

/** Why a function did not start a run for an event. */
type Skip = { skipped: string };

function serializeError(error: unknown): SerializedError {
  if (error && typeof error === "object") {
    const { name, message, stack } = error as Record<string, unknown>;
    if (typeof message === "string") {
      return { name: typeof name === "string" ? name : "Error", message, ...(typeof stack === "string" ? { stack: stack.slice(0, MAX_STACK_CHARS) } : {}) };
    }
  }
  return { name: "Error", message: JSON.stringify(error) ?? String(error) };
}

export class Executor {
  private readonly timers = new Map<string, NodeJS.Timeout>();
  /** `<run id> <step id>` of each call in flight → when it began. */
  private readonly inflight = new Map<string, number>();
  /** Concurrency key → calls in flight that hold it. */
  private readonly held = new Map<string, number>();
  /** Runs whose discovery call is in flight while a step ended: it is made again once it answers. */
  private readonly rediscover = new Set<string>();
  /** Runs waiting for their throttle, and when they may start. */
  private readonly throttledUntil = new Map<string, number>();
  private pumping = false;
  private pumpAgain = false;
  private closed = false;

  constructor(
    private readonly store: StateFile,
    private readonly options: ExecutorOptions,
  ) {}

  /** Picks up where a previous process left off (every unfinished run, every cron), or after a sync. */
  resume(): void {
    for (const run of this.store.state.runs) if (isActive(run)) this.arm(run);
    this.scheduleCrons();
    this.pump();
  }

  close(): void {
    this.closed = true;
    for (const timer of this.timers.values()) clearTimeout(timer);
    this.timers.clear();
  }

  /** Accepts events: cancels the runs they cancel, resumes the runs waiting for them, then starts the runs they trigger. */
  receive(events: InngestEvent[]): string[] {
    const ids = events.map((event) => this.deliver(event).event.id);
    this.store.save();
    this.pump();
    return ids;
  }

  /** Cancels a run as a `cancelOn` event would. */
  cancel(runId: string): Run {
    const run = this.find(runId);
    if (!isActive(run)) throw new HttpError(409, `the run has already ended (${run.status})`);
    this.end(run, "Cancelled", { error: { name: "Cancelled", message: "cancelled from the dashboard" } });
    return run;
  }

  /** Starts a new run of an ended run's function with the same event. */
  rerun(runId: string): Run {
    const original = this.find(runId);
    if (isActive(original)) throw new HttpError(409, `the run has not ended (${original.status}); cancel it or let it end first`);
    const fn = this.fn(original);
    if (!fn) throw new HttpError(409, `function ${original.functionId} is not synced any more`);
    // Inngest keeps the first run as the original of every rerun of it.
    const run = this.createRun(fn, original.event, original.rerunOf ?? original.id);
    this.store.state.events.findLast((e) => e.event.id === original.event.id)?.runs.push(run.id);
    this.store.save();
    this.pump();
    return run;
  }

  /** The steps of a run being called right now, and when each call began. */
  callsInFlight(runId: string): Map<string, number> {
    const calls = new Map<string, number>();
    for (const [key, since] of this.inflight) if (key.startsWith(`${runId} `)) calls.set(key.slice(runId.length + 1), since);
    return calls;
  }

  private find(runId: string): Run {
    const run = this.store.state.runs.find((r) => r.id === runId);
    if (!run) throw new HttpError(404, `no run ${runId}`);
    return run;
  }

  private log(run: Run, message: string) {
    this.options.log(`[inngest-local] ${run.functionId} run ${run.id.slice(0, 8)}: ${message}`);
  }

  private fn(run: Run): FunctionConfig | undefined {
    return this.store.functions().find((f) => f.id === run.functionId);
  }

  // ── Events ──────────────────────────────────────────────────────────────────────────────

  /** Records one event and acts on it; `only` starts that function whatever its triggers (an invoke). */
  private deliver(incoming: InngestEvent, only?: FunctionConfig): EventRecord {
    const event = { ...incoming, id: incoming.id ?? randomUUID(), ts: incoming.ts ?? Date.now(), data: incoming.data ?? {} };
    const record: EventRecord = { event, receivedAt: new Date().toISOString(), runs: [], skipped: [] };
    const dedupe = `event:${event.id}`;
    if (this.store.state.seen[dedupe]) return record;
    this.store.state.seen[dedupe] = Date.now() + DAY_MS;
    this.store.state.events.push(record);
    this.cancelMatching(event);
    this.resumeWaiting(event);
    const targets = only
      ? [only]
      : this.store.functions().filter((fn) => fn.triggers.some((t) => t.event === event.name && (!t.expression || this.safeCondition(t.expression, { event }))));
    for (const fn of targets) {
      const started = this.startRun(fn, event);
      if ("skipped" in started) record.skipped.push({ functionId: fn.id, reason: started.skipped });
      else record.runs.push(started.id);
    }
    return record;
  }

  private safeCondition(expression: string, scope: Record<string, unknown>): boolean {
    try {
      return evaluateCondition(expression, scope);
    } catch (error) {
      this.options.log(`[inngest-local] cannot evaluate "${expression}": ${(error as Error).message}`);
      return false;
    }
  }

  private startRun(fn: FunctionConfig, event: InngestEvent): Run | Skip {
    return this.admit(fn, event) ?? this.createRun(fn, event);
  }

  /** Why the function skips this event, by its idempotency key or rate limit (a rerun is not asked). */
  private admit(fn: FunctionConfig, event: InngestEvent): Skip | undefined {
    const now = Date.now();
    if (fn.idempotency) {
      const key = `idem:${fn.id}:${String(evaluateValue(fn.idempotency, { event }))}`;
      if (this.store.state.seen[key]) {
        this.options.log(`[inngest-local] ${fn.id}: skipped ${event.name}, idempotency key already used`);
        return { skipped: "idempotency key already used" };
      }
      this.store.state.seen[key] = now + DAY_MS;
    }
    if (fn.rateLimit) {
      const { limit, period, key } = fn.rateLimit;
      const limitKey = `rate:${fn.id}:${key ? String(evaluateValue(key, { event })) : ""}`;
      const decision = gcra(this.store.state.limits[limitKey], now, { limit, periodMs: durationMs(period), burst: rateLimitBurst(limit) });
      if (!decision.allowed) {
        this.options.log(`[inngest-local] ${fn.id}: skipped ${event.name}, rate limited (${limit} per ${period})`);
        return { skipped: `rate limited (${limit} per ${period})` };
      }
      this.store.state.limits[limitKey] = decision.tat;
    }
    return undefined;
  }

  /** A new run, queued; `rerunOf` makes it a rerun, which no idempotency key or rate limit stops, as the user asked for it. */
  private createRun(fn: FunctionConfig, event: InngestEvent, rerunOf?: string): Run {
    const now = Date.now();
    const run: Run = {
      id: randomUUID(),
      functionId: fn.id,
      event,
      status: "Queued",
      steps: {},
      stack: [],
      queue: [{ stepId: DISCOVERY, attempt: 0 }],
      waits: [],
      parallel: false,
      attempt: 0,
      calls: 0,
      concurrencyKeys: fn.concurrency.map((c, i) => {
        const value = c.key ? String(evaluateValue(c.key, { event })) : "";
        // An env- or account-scoped key is shared by every function that uses it.
        return c.scope ? `${c.scope}:${value}` : `${fn.id}:${i}:${value}`;
      }),
      createdAt: new Date(now).toISOString(),
      history: [],
      ...(rerunOf ? { rerunOf } : {}),
    };
    this.store.state.runs.push(run);
    this.log(run, rerunOf ? `queued as a rerun of ${rerunOf.slice(0, 8)}` : `queued by ${event.name}`);
    this.arm(run);
    return run;
  }

  private cancelMatching(incoming: InngestEvent) {
    const now = Date.now();
    for (const run of [...this.store.state.runs]) {
      if (!isActive(run)) continue;
      const hit = (this.fn(run)?.cancel ?? []).some(
        (rule) =>
          rule.event === incoming.name &&
          // A rule with a timeout holds for that long after the run was scheduled, as Inngest's cancellation pause.
          (!rule.timeout || now < Date.parse(run.createdAt) + durationMs(rule.timeout)) &&
          (!rule.if || this.safeCondition(rule.if, { event: run.event, async: incoming })),
      );
      if (hit) this.end(run, "Cancelled", { error: { name: "Cancelled", message: `cancelled by ${incoming.name}` } });
    }
  }

  private resumeWaiting(incoming: InngestEvent) {
    for (const run of [...this.store.state.runs]) {
      if (!isActive(run)) continue;
      for (const wait of [...run.waits]) {
        if (wait.op === "WaitForEvent" && wait.event === incoming.name && (!wait.if || this.safeCondition(wait.if, { event: run.event, async: incoming }))) {
          this.resolve(run, wait, { data: incoming }, "received");
        } else if (wait.op === "InvokeFunction" && incoming.name === FUNCTION_FINISHED && incoming.data.correlation_id === wait.correlationId) {
          const { error, result } = incoming.data;
          this.resolve(run, wait, error !== undefined ? { error } : { data: result ?? null }, error !== undefined ? "failed" : "completed");
        }
      }
    }
  }

  /** Memoises a wait's result; the run goes on with a discovery call. */
  private resolve(run: Run, wait: Wait, result: { data: unknown } | { error: unknown }, outcome: NonNullable<StepRecord["outcome"]>) {
    run.waits = run.waits.filter((w) => w !== wait);
    run.steps[wait.stepId] = result;
    run.stack.push(wait.stepId);
    const record = run.history.findLast((h) => h.id === wait.stepId && !h.endedAt);
    if (record) Object.assign(record, { endedAt: new Date().toISOString(), outcome });
    this.log(run, `"${wait.name}" ${outcome}`);
    this.discover(run);
    if (run.status === "Waiting") run.status = "Running";
    this.arm(run);
  }

  // ── Scheduling ──────────────────────────────────────────────────────────────────────────

  /** Starts every call that may start now, oldest run first, as Inngest's queue orders them. */
  private pump() {
    if (this.pumping) {
      this.pumpAgain = true;
      return;
    }
    this.pumping = true;
    try {
      do {
        this.pumpAgain = false;
        this.startCalls();
      } while (this.pumpAgain);
    } finally {
      this.pumping = false;
    }
  }

  private startCalls() {
    if (this.closed) return;
    const now = Date.now();
    for (const run of this.store.state.runs) {
      if (!isActive(run)) continue;
      const fn = this.fn(run);
      if (!fn) {
        this.end(run, "Failed", { error: { name: "Error", message: `function ${run.functionId} is not synced` } });
        continue;
      }
      for (const item of [...run.queue]) {
        if ((item.notBefore ?? 0) > now || this.inflight.has(`${run.id} ${item.stepId}`)) continue;
        if (!this.mayCall(run, fn, now)) break;
        this.startCall(run, fn, item, now);
      }
    }
  }

  /** Whether the run's concurrency limits have room for one more call, and (for its first call) its throttle allows it. */
  private mayCall(run: Run, fn: FunctionConfig, now: number): boolean {
    const full = fn.concurrency.some((limit, i) => (this.held.get(run.concurrencyKeys[i]!) ?? 0) >= limit.limit);
    if (full) return false;
    if (run.startedAt || !fn.throttle) return true;
    const { limit, period, key, burst } = fn.throttle;
    const limitKey = `throttle:${fn.id}:${key ? String(evaluateValue(key, { event: run.event })) : ""}`;
    const decision = gcra(this.store.state.limits[limitKey], now, { limit, periodMs: durationMs(period), burst: burst ?? 0 });
    if (!decision.allowed) {
      if (this.throttledUntil.get(run.id) !== decision.retryAt) {
        this.throttledUntil.set(run.id, decision.retryAt);
        this.arm(run);
      }
      return false;
    }
    this.store.state.limits[limitKey] = decision.tat;
    this.throttledUntil.delete(run.id);
    return true;
  }

  /** `now`: the time the call was allowed at, which a throttled run's start must not precede. */
  private startCall(run: Run, fn: FunctionConfig, item: WorkItem, now: number) {
    this.inflight.set(`${run.id} ${item.stepId}`, now);
    for (const key of run.concurrencyKeys) this.held.set(key, (this.held.get(key) ?? 0) + 1);
    run.status = "Running";
    run.startedAt ??= new Date(now).toISOString();
    run.attempt = item.attempt;
    run.calls += 1;
    this.store.save();
    this.arm(run);
    void this.call(run, fn, item, run.calls);
  }

  private release(run: Run, item: WorkItem) {
    this.inflight.delete(`${run.id} ${item.stepId}`);
    for (const key of run.concurrencyKeys) {
      const count = (this.held.get(key) ?? 1) - 1;
      if (count > 0) this.held.set(key, count);
      else this.held.delete(key);
    }
  }

  /** Queues a discovery call, or asks for another if one is in flight (it may not see the step that just ended). */
  private discover(run: Run) {
    if (this.inflight.has(`${run.id} ${DISCOVERY}`)) this.rediscover.add(run.id);
    else if (!run.queue.some((i) => i.stepId === DISCOVERY)) run.queue.push({ stepId: DISCOVERY, attempt: 0 });
  }

  /** One timer per run, for the earliest of: a retry, a wait's end, its throttle, `timeouts.start` or `timeouts.finish`. */
  private arm(run: Run) {
    clearTimeout(this.timers.get(run.id));
    this.timers.delete(run.id);
    if (!isActive(run) || this.closed) return;
    const fn = this.fn(run);
    const times = [
      ...run.queue.filter((i) => i.notBefore && !this.inflight.has(`${run.id} ${i.stepId}`)).map((i) => i.notBefore!),
      ...run.waits.map((w) => w.until),
      ...(this.throttledUntil.has(run.id) ? [this.throttledUntil.get(run.id)!] : []),
      ...(fn?.timeouts.finish && run.startedAt ? [Date.parse(run.startedAt) + durationMs(fn.timeouts.finish)] : []),
      ...(fn?.timeouts.start && !run.startedAt ? [Date.parse(run.createdAt) + durationMs(fn.timeouts.start)] : []),
    ];
    if (times.length === 0) return;
    const delay = Math.min(Math.max(0, Math.min(...times) - Date.now()), MAX_TIMER_MS);
    this.timers.set(run.id, setTimeout(() => this.tick(run), delay));
  }

  private tick(run: Run) {
    this.timers.delete(run.id);
    if (!isActive(run) || this.closed) return;
    const fn = this.fn(run);
    const now = Date.now();
    if (fn?.timeouts.finish && run.startedAt && now >= Date.parse(run.startedAt) + durationMs(fn.timeouts.finish)) {
      return this.end(run, "Cancelled", { error: { name: "Timeout", message: "the run exceeded timeouts.finish" } });
    }
    if (fn?.timeouts.start && !run.startedAt && now >= Date.parse(run.createdAt) + durationMs(fn.timeouts.start)) {
      return this.end(run, "Cancelled", { error: { name: "Timeout", message: "the run did not start within timeouts.start" } });
    }
    this.throttledUntil.delete(run.id);
    for (const wait of [...run.waits]) {
      if (wait.until > now) continue;
      if (wait.op === "Sleep") this.resolve(run, wait, { data: null }, "slept");
      else if (wait.op === "WaitForEvent") this.resolve(run, wait, { data: null }, "timed out");
      else this.resolve(run, wait, { error: { name: "InngestInvokeTimeoutError", message: "Timed out waiting for invoked function to complete" } }, "timed out");
    }
    this.store.save();
    this.pump();
    this.arm(run);
  }

  private end(run: Run, status: "Completed" | "Failed" | "Cancelled", result: { output?: unknown; error?: unknown }) {
    if (!isActive(run)) return;
    run.status = status;
    run.endedAt = new Date().toISOString();
    run.output = result.output;
    run.error = result.error;
    run.queue = [];
    run.waits = [];
    this.rediscover.delete(run.id);
    this.throttledUntil.delete(run.id);
    clearTimeout(this.timers.get(run.id));
    this.timers.delete(run.id);
    this.log(run, status.toLowerCase() + (result.error ? `: ${JSON.stringify(result.error).slice(0, 300)}` : ""));
    const data = { function_id: run.functionId, run_id: run.id, event: run.event, events: [run.event] };
    const correlation = (run.event.data._inngest as { correlation_id?: unknown } | undefined)?.correlation_id;
    const events: InngestEvent[] = [];
    // As Inngest, no finish event for runs of finish or failure events, which would never end.
    if (run.event.name !== FUNCTION_FINISHED && run.event.name !== FUNCTION_FAILED) {
      const outcome = result.error !== undefined ? { error: result.error } : { result: result.output };
      events.push({ name: FUNCTION_FINISHED, data: { ...data, ...outcome, ...(typeof correlation === "string" ? { correlation_id: correlation } : {}) } });
    }
    if (status === "Failed") events.push({ id: `failed-${run.id}`, name: FUNCTION_FAILED, data: { ...data, error: result.error } });
    if (status === "Cancelled") events.push({ id: `cancelled-${run.id}`, name: FUNCTION_CANCELLED, data: { ...data, error: result.error } });
    this.receive(events);
  }

  // ── Calls ───────────────────────────────────────────────────────────────────────────────

  private record(run: Run, entry: Omit<StepRecord, "at">) {
    const record: StepRecord = { ...entry, at: new Date().toISOString() };
    const later = run.history.findIndex((h) => h.seq > record.seq);
    if (later < 0) run.history.push(record);
    else run.history.splice(later, 0, record);
  }

  /** Schedules the item's next attempt, or reports that none is left. */
  private retry(run: Run, fn: FunctionConfig, item: WorkItem, retryAfter: string | null, what: string): boolean {
    if (item.attempt + 1 >= fn.attempts) return false;
    const delay = retryAfterMs(retryAfter) ?? retryDelayMs(item.attempt, this.options.backoffScale);
    item.attempt += 1;
    item.notBefore = Date.now() + delay;
    this.log(run, `${what}: retry ${item.attempt}/${fn.attempts - 1} in ${Math.round(delay)}ms`);
    return true;
  }

  private async call(run: Run, fn: FunctionConfig, item: WorkItem, seq: number) {
    const url = new URL(fn.url);
    url.searchParams.set("fnId", fn.id);
    url.searchParams.set("stepId", item.stepId);
    const body = {
      event: run.event,
      events: [run.event],
      steps: run.steps,
      ctx: {
        run_id: run.id,
        attempt: item.attempt,
        max_attempts: fn.attempts,
        disable_immediate_execution: run.parallel,
        use_api: false,
        stack: { stack: run.stack, current: run.stack.length },
      },
    };
    const started = Date.now();
    const json = canonicalJson(body);
    const name = item.name ?? "next step";
    const call = { seq, attempt: item.attempt };
    let response: Response | undefined;
    let text = "";
    let failure: string | undefined;
    try {
      response = await fetch(url, {
        method: "POST",
        headers: { "content-type": "application/json", [SIGNATURE_HEADER]: signBody(json, this.options.signingKey) },
        body: json,
      });
      text = await response.text();
    } catch (error) {
      // The app is down, restarting or died mid-answer: worth a retry, like any failed call.
      failure = `app unreachable: ${(error as Error).message}`;
    }
    this.release(run, item);
    // A cancelled run's in-flight answer is dropped, as Inngest drops it; so is any answer
    // reaching an executor that has been closed, which must not write state any more.
    if (!isActive(run) || this.closed) return;
    const ms = Date.now() - started;
    if (failure || !response) {
      this.record(run, { id: item.stepId, name, status: "unreachable", ms, detail: failure, ...call });
      if (!this.retry(run, fn, item, null, failure ?? "no answer")) return this.end(run, "Failed", { error: { name: "Error", message: failure } });
      return this.settle(run);
    }
    // Inngest fails an attempt whose 2xx answer did not come from the SDK; here the proof is
    // the SDK's signature over its answer, made with the key that verified the call.
    const signed = verifySignature(response.headers.get(SIGNATURE_HEADER), text, this.options.signingKey);
    let payload: unknown = null;
    let unreadable: string | undefined;
    try {
      payload = text ? (JSON.parse(text) as unknown) : null;
    } catch {
      unreadable = `the answer is not JSON (HTTP ${response.status})`;
    }
    if (response.ok && (!signed.ok || unreadable)) {
      const reason = signed.ok ? unreadable! : `answer not signed by the app (${signed.reason}, HTTP ${response.status})`;
      this.record(run, { id: item.stepId, name, status: "retry", ms, detail: reason, ...call });
      if (!this.retry(run, fn, item, null, reason)) return this.end(run, "Failed", { error: { name: "Error", message: reason } });
      return this.settle(run);
    }
    const noRetry = response.headers.get("x-inngest-no-retry") === "true";
    const retryAfter = response.headers.get("retry-after");

    if (response.status === 206) {
      run.queue = run.queue.filter((i) => i !== item);
      const ops = (Array.isArray(payload) ? payload : [payload]) as Op[];
      if (ops.length > 1) run.parallel = true;
      for (const op of ops) {
        if (!isActive(run)) return;
        this.apply(run, fn, item, op, { ms, started, noRetry, retryAfter, ...call });
      }
      if (!isActive(run)) return;
      if (item.stepId === DISCOVERY && this.rediscover.delete(run.id)) this.discover(run);
      return this.settle(run);
    }
    if (response.status === 200) return this.end(run, "Completed", { output: payload });
    const error = payload ?? { name: "Error", message: unreadable ?? `HTTP ${response.status}` };
    if (noRetry || response.status === 400 || !this.retry(run, fn, item, retryAfter, `function error (HTTP ${response.status})`)) {
      return this.end(run, "Failed", { error });
    }
    this.settle(run);
  }

  /** After a call: a run with nothing left to call but waits is Waiting; then the next calls start. */
  private settle(run: Run) {
    const calling = run.queue.length > 0 || [...this.inflight.keys()].some((key) => key.startsWith(`${run.id} `));
    if (!calling) {
      if (run.waits.length > 0) run.status = "Waiting";
      else this.discover(run);
    }
    this.store.save();
    this.pump();
    this.arm(run);
  }

  private apply(
    run: Run,
    fn: FunctionConfig,
    item: WorkItem,
    op: Op,
    call: { ms: number; started: number; noRetry: boolean; retryAfter: string | null; seq: number; attempt: number },
  ) {
    const name = op.displayName ?? op.name ?? op.id;
    const { ms, seq, attempt } = call;
    switch (op.op) {
      case "Step":
      case "StepRun":
        run.steps[op.id] = { data: op.data ?? null };
        run.stack.push(op.id);
        this.record(run, { id: op.id, name, status: "ok", ms, seq, attempt });
        this.log(run, `step "${name}" ok in ${ms}ms`);
        this.discover(run);
        return;
      case "StepPlanned": {
        const known = op.id in run.steps || run.queue.some((i) => i.stepId === op.id) || run.waits.some((w) => w.stepId === op.id) || this.inflight.has(`${run.id} ${op.id}`);
        if (!known) run.queue.push({ stepId: op.id, name, attempt: 0 });
        return;
      }
      case "Sleep": {
        const until = Date.now() + durationMs(op.name ?? "0s");
        run.waits.push({ stepId: op.id, name, op: "Sleep", until });
        this.record(run, { id: op.id, name, status: "sleep", detail: op.name, until: new Date(until).toISOString(), seq });
        this.log(run, `sleeping ${op.name} ("${name}")`);
        return;
      }
      case "WaitForEvent":
        return this.waitForEvent(run, op, name, seq);
      case "InvokeFunction":
        return this.invoke(run, op, name, seq);
      case "StepError": {
        const error = serializeError(op.error);
        this.record(run, { id: op.id, name, status: "retry", ms, seq, attempt, error, detail: JSON.stringify(op.error).slice(0, 300) });
        // The SDK sends StepFailed itself when no attempt is left; StepError always retries.
        const next: WorkItem = { stepId: op.id, name, attempt: item.attempt };
        if (call.noRetry || !this.retry(run, fn, next, call.retryAfter, `step "${name}" failed`)) this.failStep(run, op, name, call);
        else run.queue.push(next);
        return;
      }
      case "StepFailed":
        return this.failStep(run, op, name, call);
      case "RunComplete":
        return this.end(run, "Completed", { output: op.data });
      default:
        this.end(run, "Failed", { error: { name: "Error", message: `the local executor does not implement the ${op.op} step op (step "${name}")` } });
    }
  }

  private waitForEvent(run: Run, op: Op, name: string, seq: number) {
    const event = op.name;
    const timeout = op.opts?.timeout;
    const condition = op.opts?.if;
    if (typeof event !== "string" || typeof timeout !== "string" || (condition !== undefined && typeof condition !== "string")) {
      return this.end(run, "Failed", { error: { name: "Error", message: `step "${name}": a WaitForEvent op needs an event name and a timeout` } });
    }
    if (condition) {
      try {
        checkExpression(condition);
      } catch (error) {
        return this.end(run, "Failed", { error: { name: "Error", message: `step "${name}": the local executor cannot evaluate the waitForEvent condition: ${(error as Error).message}` } });
      }
    }
    const until = Date.now() + durationMs(timeout);
    run.waits.push({ stepId: op.id, name, op: "WaitForEvent", until, event, ...(condition ? { if: condition } : {}) });
    this.record(run, { id: op.id, name, status: "wait", detail: condition ? `${event} if ${condition}` : event, until: new Date(until).toISOString(), seq });
    this.log(run, `waiting for ${event} ("${name}")`);
  }

  /** Starts the invoked function's run with Inngest's `inngest/function.invoked` event, and waits for its end. */
  private invoke(run: Run, op: Op, name: string, seq: number) {
    const functionId = op.opts?.function_id;
    const payload = (op.opts?.payload ?? {}) as { data?: Record<string, unknown> };
    const timeout = op.opts?.timeout;
    if (typeof functionId !== "string") {
      return this.end(run, "Failed", { error: { name: "Error", message: `step "${name}": an InvokeFunction op needs a function_id` } });
    }
    const until = Date.now() + (typeof timeout === "string" ? durationMs(timeout) : INVOKE_DEFAULT_TIMEOUT_MS);
    const correlationId = `${run.id}.${op.id}`;
    const wait: Wait = { stepId: op.id, name, op: "InvokeFunction", until, correlationId };
    run.waits.push(wait);
    this.record(run, { id: op.id, name, status: "invoke", detail: functionId, until: new Date(until).toISOString(), seq });
    const target = this.store.functions().find((f) => f.id === functionId);
    if (!target) return this.resolve(run, wait, { error: { name: "Error", message: `function ${functionId} is not synced with the local executor` } }, "failed");
    const event: InngestEvent = {
      name: FUNCTION_INVOKED,
      data: { ...payload.data, _inngest: { fn_id: functionId, correlation_id: correlationId, expire: until, source_fn_id: run.functionId, source_run_id: run.id, name } },
    };
    const delivered = this.deliver(event, target);
    const skipped = delivered.skipped[0];
    if (skipped) this.resolve(run, wait, { error: { name: "Error", message: `${functionId} did not start a run: ${skipped.reason}` } }, "failed");
    else this.log(run, `invoked ${functionId} ("${name}")`);
  }

  private failStep(run: Run, op: Op, name: string, { ms, seq, attempt }: { ms: number; seq: number; attempt: number }) {
    run.steps[op.id] = { error: op.error ?? { name: "Error", message: "step failed" } };
    run.stack.push(op.id);
    run.queue = run.queue.filter((i) => i.stepId !== op.id);
    this.record(run, { id: op.id, name, status: "failed", ms, seq, attempt, error: serializeError(op.error), detail: JSON.stringify(op.error).slice(0, 300) });
    this.log(run, `step "${name}" failed for good`);
    this.discover(run);
  }

  // ── Cron ────────────────────────────────────────────────────────────────────────────────

  /** Arms a timer for each synced cron trigger, and forgets the triggers no longer synced. */
  private scheduleCrons() {
    const synced = new Map<string, { fn: FunctionConfig; expression: string }>();
    for (const fn of this.store.functions()) {
      for (const { cron } of fn.triggers) if (cron) synced.set(`${fn.id} ${cron}`, { fn, expression: cron });
    }
    const { crons } = this.store.state;
    for (const key of Object.keys(crons)) {
      if (synced.has(key)) continue;
      delete crons[key];
      clearTimeout(this.timers.get(`cron:${key}`));
      this.timers.delete(`cron:${key}`);
    }
    for (const [key, { fn, expression }] of synced) {
      if (crons[key] === undefined) {
        // Registration checked the expression (registration.ts).
        const slot = nextSlot(parseCron(expression), Date.now());
        if (slot === null) continue;
        crons[key] = slot;
      }
      this.armCron(key, fn.id, expression);
    }
    this.store.save();
  }

  private armCron(key: string, functionId: string, expression: string) {
    const slot = this.store.state.crons[key];
    clearTimeout(this.timers.get(`cron:${key}`));
    if (slot === undefined || this.closed) return;
    const delay = Math.min(Math.max(0, slot - Date.now()), MAX_TIMER_MS);
    this.timers.set(`cron:${key}`, setTimeout(() => this.fireCron(key, functionId, expression), delay));
  }

  /** Starts the slot's run and moves the trigger to its next slot, in one write. */
  private fireCron(key: string, functionId: string, expression: string) {
    this.timers.delete(`cron:${key}`);
    const slot = this.store.state.crons[key];
    const fn = this.store.functions().find((f) => f.id === functionId);
    if (slot === undefined || !fn || this.closed) return;
    // A timer may fire a little early, and a far slot is reached in steps.
    if (Date.now() < slot) return this.armCron(key, functionId, expression);
    this.startRun(fn, scheduledEvent(expression, slot));
    // After an outage only the first missed slot runs, late, as Inngest's queued cron item does.
    const next = nextSlot(parseCron(expression), Math.max(Date.now(), slot));
    if (next === null) delete this.store.state.crons[key];
    else this.store.state.crons[key] = next;
    this.store.save();
    this.pump();
    this.armCron(key, functionId, expression);
  }
}
