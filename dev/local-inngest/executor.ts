/**
 * Drives runs against an app's serve endpoint the way Inngest does (docs/SDK_SPEC.md in
 * inngest/inngest): each call sends the event and the memoised steps; a 206 answer carries
 * ops (StepRun, StepPlanned, Sleep, StepError, StepFailed, RunComplete), a 200 the result,
 * a 4xx/5xx a function error. Every call is signed with the signing key, and an answer that
 * is not signed back by the SDK is not trusted. Retries count per step and wait as Inngest's
 * queue waits (backoff.ts); `x-inngest-no-retry` and Retry-After are honoured; failures emit
 * `inngest/function.failed`, cancellations `inngest/function.cancelled`.
 */
import { randomUUID } from "node:crypto";

import { retryAfterMs, retryDelayMs } from "./backoff";
import { nextSlot, parseCron, scheduledEvent } from "./cron";
import { durationMs, evaluateCondition, evaluateValue } from "./expressions";
import { canonicalJson, SIGNATURE_HEADER, signBody, verifySignature } from "./signature";
import type { FunctionConfig, InngestEvent, Run, StateFile, StepRecord } from "./state";

type Op = { op: string; id: string; name?: string; displayName?: string; data?: unknown; error?: unknown };

const ACTIVE = new Set(["Queued", "Running", "Sleeping"]);
const DAY_MS = 86_400_000;
/** setTimeout's longest delay; a later slot is reached in steps. */
const MAX_TIMER_MS = 2 ** 31 - 1;

export type ExecutorOptions = {
  signingKey: string;
  /** Multiplies Inngest's retry schedule (1: its real seconds-to-hours table). */
  backoffScale: number;
  log: (line: string) => void;
};

export class Executor {
  private readonly timers = new Map<string, NodeJS.Timeout>();
  private readonly driving = new Set<string>();
  private closed = false;

  constructor(
    private readonly store: StateFile,
    private readonly options: ExecutorOptions,
  ) {}

  /** Picks up where a previous process left off (every unfinished run, every cron), or after a sync. */
  resume(): void {
    for (const run of this.store.state.runs) {
      if (run.status === "Sleeping" || (run.status === "Running" && run.wakeAt)) this.wakeLater(run);
      else if (run.status === "Running") void this.drive(run);
    }
    this.scheduleCrons();
    this.startQueued();
  }

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
        let slot: number | null;
        try {
          slot = nextSlot(parseCron(expression), Date.now());
        } catch (error) {
          this.options.log(`[inngest-local] ${fn.id}: cannot schedule "${expression}": ${(error as Error).message}`);
          continue;
        }
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
    this.startQueued();
    this.armCron(key, functionId, expression);
  }

  close(): void {
    this.closed = true;
    for (const timer of this.timers.values()) clearTimeout(timer);
    this.timers.clear();
  }

  private log(run: Run, message: string) {
    this.options.log(`[inngest-local] ${run.functionId} run ${run.id.slice(0, 8)}: ${message}`);
  }

  private fn(run: Run): FunctionConfig | undefined {
    return this.store.functions().find((f) => f.id === run.functionId);
  }

  private record(run: Run, entry: Omit<StepRecord, "at">) {
    run.history.push({ ...entry, at: new Date().toISOString() });
  }

  /** Accepts events: cancels the runs they cancel, then starts the runs they trigger. */
  receive(events: InngestEvent[]): string[] {
    const ids: string[] = [];
    for (const incoming of events) {
      const event = { ...incoming, id: incoming.id ?? randomUUID(), ts: incoming.ts ?? Date.now(), data: incoming.data ?? {} };
      ids.push(event.id);
      const dedupe = `event:${event.id}`;
      if (this.store.state.seen[dedupe]) continue;
      this.store.state.seen[dedupe] = Date.now() + DAY_MS;
      this.cancelMatching(event);
      for (const fn of this.store.functions()) {
        const triggered = fn.triggers.some(
          (t) => t.event === event.name && (!t.expression || this.safeCondition(t.expression, { event })),
        );
        if (triggered) this.startRun(fn, event);
      }
    }
    this.store.save();
    this.startQueued();
    return ids;
  }

  private safeCondition(expression: string, scope: Record<string, unknown>): boolean {
    try {
      return evaluateCondition(expression, scope);
    } catch (error) {
      this.options.log(`[inngest-local] cannot evaluate "${expression}": ${(error as Error).message}`);
      return false;
    }
  }

  private startRun(fn: FunctionConfig, event: InngestEvent) {
    if (fn.idempotency) {
      const key = `idem:${fn.id}:${String(evaluateValue(fn.idempotency, { event }))}`;
      if (this.store.state.seen[key]) {
        this.options.log(`[inngest-local] ${fn.id}: skipped ${event.name}, idempotency key already used`);
        return;
      }
      this.store.state.seen[key] = Date.now() + DAY_MS;
    }
    const run: Run = {
      id: randomUUID(),
      functionId: fn.id,
      event,
      status: "Queued",
      steps: {},
      stack: [],
      planned: [],
      attempt: 0,
      concurrencyKeys: fn.concurrency.map((c, i) => `${fn.id}:${i}:${c.key ? String(evaluateValue(c.key, { event })) : ""}`),
      createdAt: new Date().toISOString(),
      history: [],
    };
    this.store.state.runs.push(run);
    this.log(run, `queued by ${event.name}`);
  }

  /** Runs a queued run once each of its concurrency limits has room. */
  private startQueued() {
    for (const run of this.store.state.runs) {
      if (run.status !== "Queued" || this.closed) continue;
      const fn = this.fn(run);
      if (!fn) continue;
      const full = fn.concurrency.some((limit, i) => {
        const key = run.concurrencyKeys[i];
        const running = this.store.state.runs.filter((r) => r.status === "Running" && r.concurrencyKeys[i] === key).length;
        return running >= limit.limit;
      });
      if (full) continue;
      run.status = "Running";
      run.startedAt ??= new Date().toISOString();
      this.store.save();
      void this.drive(run);
    }
  }

  private cancelMatching(incoming: InngestEvent) {
    for (const run of this.store.state.runs) {
      if (!ACTIVE.has(run.status)) continue;
      const rules = this.fn(run)?.cancel ?? [];
      const hit = rules.some((rule) => rule.event === incoming.name && (!rule.if || this.safeCondition(rule.if, { event: run.event, async: incoming })));
      if (hit) this.end(run, "Cancelled", { error: { name: "Cancelled", message: `cancelled by ${incoming.name}` } });
    }
  }

  private wakeLater(run: Run) {
    const delay = Math.max(0, (run.wakeAt ?? Date.now()) - Date.now());
    clearTimeout(this.timers.get(run.id));
    this.timers.set(
      run.id,
      setTimeout(() => {
        this.timers.delete(run.id);
        if (run.sleepingOn) run.steps[run.sleepingOn] = { data: null };
        if (run.sleepingOn) run.stack.push(run.sleepingOn);
        run.sleepingOn = undefined;
        run.wakeAt = undefined;
        if (run.status === "Sleeping") {
          // A sleeping run gave up its concurrency slot; it queues for one again.
          run.status = "Queued";
          this.store.save();
          this.startQueued();
        } else if (run.status === "Running") {
          this.store.save();
          void this.drive(run);
        }
      }, delay),
    );
  }

  private end(run: Run, status: "Completed" | "Failed" | "Cancelled", result: { output?: unknown; error?: unknown }) {
    if (!ACTIVE.has(run.status)) return;
    run.status = status;
    run.endedAt = new Date().toISOString();
    run.output = result.output;
    run.error = result.error;
    run.planned = [];
    clearTimeout(this.timers.get(run.id));
    this.timers.delete(run.id);
    this.log(run, status.toLowerCase() + (result.error ? `: ${JSON.stringify(result.error).slice(0, 300)}` : ""));
    this.store.save();
    const common = { function_id: run.functionId, run_id: run.id, event: run.event };
    if (status === "Failed") this.receive([{ name: "inngest/function.failed", data: { ...common, error: result.error } }]);
    if (status === "Cancelled") this.receive([{ name: "inngest/function.cancelled", data: { ...common, error: result.error } }]);
    this.startQueued();
  }

  /** Schedules the next attempt, or reports that none is left. */
  private retry(run: Run, fn: FunctionConfig, retryAfter: string | null, what: string): boolean {
    if (run.attempt + 1 >= fn.attempts) return false;
    const delay = retryAfterMs(retryAfter) ?? retryDelayMs(run.attempt, this.options.backoffScale);
    run.attempt += 1;
    run.wakeAt = Date.now() + delay;
    this.log(run, `${what}: retry ${run.attempt}/${fn.attempts - 1} in ${Math.round(delay)}ms`);
    this.store.save();
    this.wakeLater(run);
    return true;
  }

  /** One call at a time per run, until it sleeps, waits to retry, or ends. */
  private async drive(run: Run): Promise<void> {
    if (this.driving.has(run.id)) return;
    this.driving.add(run.id);
    try {
      while (run.status === "Running" && !run.wakeAt && !this.closed) {
        const fn = this.fn(run);
        if (!fn) return this.end(run, "Failed", { error: { name: "Error", message: `function ${run.functionId} is not synced` } });
        if (fn.timeoutFinishMs && run.startedAt && Date.now() - Date.parse(run.startedAt) > fn.timeoutFinishMs) {
          return this.end(run, "Cancelled", { error: { name: "Timeout", message: "the run exceeded timeouts.finish" } });
        }
        const next = run.planned[0];
        await this.call(run, fn, next);
      }
    } finally {
      this.driving.delete(run.id);
    }
  }

  private async call(run: Run, fn: FunctionConfig, planned: { id: string; name?: string } | undefined) {
    const url = new URL(fn.url);
    url.searchParams.set("fnId", fn.id);
    url.searchParams.set("stepId", planned?.id ?? "step");
    const body = {
      event: run.event,
      events: [run.event],
      steps: run.steps,
      ctx: {
        run_id: run.id,
        attempt: run.attempt,
        max_attempts: fn.attempts,
        disable_immediate_execution: false,
        use_api: false,
        stack: { stack: run.stack, current: run.stack.length },
      },
    };
    const started = Date.now();
    const json = canonicalJson(body);
    let response: Response;
    let text: string;
    try {
      response = await fetch(url, {
        method: "POST",
        headers: { "content-type": "application/json", [SIGNATURE_HEADER]: signBody(json, this.options.signingKey) },
        body: json,
      });
      text = await response.text();
    } catch (error) {
      if (!ACTIVE.has(run.status) || this.closed) return;
      // The app is down, restarting or died mid-answer: worth a retry, like any failed call.
      const reason = `app unreachable: ${(error as Error).message}`;
      this.record(run, { id: planned?.id ?? "step", name: planned?.name ?? "next step", status: "unreachable", detail: reason });
      if (!this.retry(run, fn, null, reason)) this.end(run, "Failed", { error: { name: "Error", message: reason } });
      return;
    }
    // A cancelled run's in-flight answer is dropped, as Inngest drops it; so is any answer
    // reaching an executor that has been closed, which must not write state any more.
    if (run.status !== "Running" || this.closed) return;
    // Inngest fails an attempt whose 2xx answer did not come from the SDK; here the proof is
    // the SDK's signature over its answer, made with the key that verified the call.
    const signed = verifySignature(response.headers.get(SIGNATURE_HEADER), text, this.options.signingKey);
    if (response.ok && !signed.ok) {
      const reason = `answer not signed by the app (${signed.reason}, HTTP ${response.status})`;
      this.record(run, { id: planned?.id ?? "step", name: planned?.name ?? "next step", status: "retry", detail: reason });
      if (!this.retry(run, fn, null, reason)) this.end(run, "Failed", { error: { name: "Error", message: reason } });
      return;
    }
    const payload = text ? (JSON.parse(text) as unknown) : null;
    const noRetry = response.headers.get("x-inngest-no-retry") === "true";
    const retryAfter = response.headers.get("retry-after");
    const ms = Date.now() - started;

    if (response.status === 206) {
      const ops = (Array.isArray(payload) ? payload : [payload]) as Op[];
      if (planned) run.planned.shift();
      for (const op of ops) this.apply(run, fn, op, ms, noRetry, retryAfter);
    } else if (response.status === 200) {
      this.end(run, "Completed", { output: payload });
      return;
    } else {
      const error = payload ?? { name: "Error", message: `HTTP ${response.status}` };
      if (noRetry || response.status === 400 || !this.retry(run, fn, retryAfter, `function error (HTTP ${response.status})`)) {
        this.end(run, "Failed", { error });
      }
      return;
    }
    this.store.save();
  }

  private apply(run: Run, fn: FunctionConfig, op: Op, ms: number, noRetry: boolean, retryAfter: string | null) {
    const name = op.displayName ?? op.name ?? op.id;
    switch (op.op) {
      case "Step":
      case "StepRun":
        run.steps[op.id] = { data: op.data ?? null };
        run.stack.push(op.id);
        run.attempt = 0;
        this.record(run, { id: op.id, name, status: "ok", ms });
        this.log(run, `step "${name}" ok in ${ms}ms`);
        return;
      case "StepPlanned":
        if (!run.planned.some((p) => p.id === op.id)) run.planned.push({ id: op.id, name });
        return;
      case "Sleep": {
        const sleepMs = durationMs(op.name ?? "0s");
        run.status = "Sleeping";
        run.sleepingOn = op.id;
        run.wakeAt = Date.now() + sleepMs;
        this.record(run, { id: op.id, name, status: "sleep", detail: op.name });
        this.log(run, `sleeping ${op.name} ("${name}")`);
        this.store.save();
        this.wakeLater(run);
        this.startQueued();
        return;
      }
      case "StepError": {
        this.record(run, { id: op.id, name, status: "retry", ms, detail: JSON.stringify(op.error).slice(0, 300) });
        // The SDK sends StepFailed itself when no attempt is left; StepError always retries.
        if (noRetry || !this.retry(run, fn, retryAfter, `step "${name}" failed`)) this.failStep(run, op, name, ms);
        else if (!run.planned.some((p) => p.id === op.id)) run.planned.unshift({ id: op.id, name });
        return;
      }
      case "StepFailed":
        this.failStep(run, op, name, ms);
        return;
      case "RunComplete":
        this.end(run, "Completed", { output: op.data });
        return;
      default:
        this.end(run, "Failed", { error: { name: "Error", message: `unsupported op ${op.op}` } });
    }
  }

  private failStep(run: Run, op: Op, name: string, ms: number) {
    run.steps[op.id] = { error: op.error ?? { name: "Error", message: "step failed" } };
    run.stack.push(op.id);
    run.attempt = 0;
    run.planned = run.planned.filter((p) => p.id !== op.id);
    this.record(run, { id: op.id, name, status: "failed", ms, detail: JSON.stringify(op.error).slice(0, 300) });
    this.log(run, `step "${name}" failed for good`);
  }
}
