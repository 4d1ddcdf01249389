/**
 * The executor's memory: synced functions, runs with their memoised steps, received events,
 * and the keys that deduplicate and limit them. It is written to disk (temp file + rename)
 * after every change, so a killed executor resumes each run from its last finished step.
 */
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import path from "node:path";

export type Trigger = { event?: string; expression?: string; cron?: string };
/** `scope` "fn" (the default) limits one function; "env" and "account" share the key across functions. */
export type Concurrency = { limit: number; key?: string; scope?: "fn" | "env" | "account" };
export type FlowLimit = { limit: number; period: string; key?: string; burst?: number };
export type CancelRule = { event: string; if?: string; timeout?: string };

export type FunctionConfig = {
  id: string;
  name?: string;
  triggers: Trigger[];
  url: string;
  /** Attempts per step: the config's `retries` plus one. */
  attempts: number;
  concurrency: Concurrency[];
  cancel: CancelRule[];
  timeouts: { start?: string; finish?: string };
  idempotency?: string;
  throttle?: FlowLimit;
  rateLimit?: FlowLimit;
};

/** "Waiting": nothing to call until a sleep ends, an event comes or an invoked run ends. */
export type RunStatus = "Queued" | "Running" | "Waiting" | "Completed" | "Failed" | "Cancelled";

export type SerializedError = { name: string; message: string; stack?: string };

export type StepRecord = {
  id: string;
  name: string;
  status: "ok" | "retry" | "failed" | "unreachable" | "sleep" | "wait" | "invoke";
  /** When it was recorded: a call's end, or a wait's start. */
  at: string;
  /** A call's duration. */
  ms?: number;
  /** The order of the call that made it; the history is kept in this order, since parallel calls end in any order. */
  seq: number;
  attempt?: number;
  detail?: string;
  error?: SerializedError;
  /** A wait's deadline (the sleep's end, the timeout of an event or an invoke) and how it ended. */
  until?: string;
  endedAt?: string;
  outcome?: "slept" | "received" | "timed out" | "completed" | "failed";
};

export type InngestEvent = { id?: string; name: string; data: Record<string, unknown>; ts?: number; user?: unknown; v?: string };

/** A call to make: `step` asks the SDK what comes next; any other id runs that planned step. */
export type WorkItem = { stepId: string; name?: string; attempt: number; notBefore?: number };

export type Wait = {
  stepId: string;
  name: string;
  op: "Sleep" | "WaitForEvent" | "InvokeFunction";
  /** The sleep's end, or the timeout of the event or the invoke, in ms. */
  until: number;
  /** WaitForEvent: the event's name, and the condition with `event` (the run's) and `async` (the incoming one). */
  event?: string;
  if?: string;
  /** InvokeFunction: ties the invoked run's `inngest/function.finished` to this step. */
  correlationId?: string;
};

export type Run = {
  id: string;
  functionId: string;
  event: InngestEvent;
  status: RunStatus;
  /** hashed step id → memoised result, exactly as the SDK expects it back. */
  steps: Record<string, { data: unknown } | { error: unknown }>;
  /** Completed step ids in order. */
  stack: string[];
  queue: WorkItem[];
  waits: Wait[];
  /** Set once the SDK planned steps in parallel: from then on it must plan every step (SDK_SPEC §5.5). */
  parallel: boolean;
  /** The latest call's attempt (0 for the first). */
  attempt: number;
  /** Calls made so far; numbers the history. */
  calls: number;
  concurrencyKeys: string[];
  createdAt: string;
  startedAt?: string;
  endedAt?: string;
  output?: unknown;
  error?: unknown;
  history: StepRecord[];
  /** The run this one reruns (the dashboard's Rerun). */
  rerunOf?: string;
};

export type SkippedRun = { functionId: string; reason: string };

export type EventRecord = { event: InngestEvent & { id: string; ts: number }; receivedAt: string; runs: string[]; skipped: SkippedRun[] };

export type ExecutorState = {
  version: typeof VERSION;
  apps: Record<string, FunctionConfig[]>;
  /** When each app last synced. */
  syncedAt: Record<string, string>;
  runs: Run[];
  /** Received events, oldest first. */
  events: EventRecord[];
  /** Deduplication keys (event ids, idempotency keys) → expiry in ms. */
  seen: Record<string, number>;
  /**
   * Each cron trigger's next slot in ms, by `<function id> <expression>`. It moves on in the
   * same write that records the slot's run, so a restarted executor neither fires a slot
   * twice nor forgets one that fell while it was down.
   */
  crons: Record<string, number>;
  /** Throttle and rate-limit keys → their theoretical arrival time in ms (flow-control.ts). */
  limits: Record<string, number>;
};

const VERSION = 2;
const KEEP_FINISHED_RUNS = 500;
const KEEP_EVENTS = 500;

export class StateFile {
  readonly file: string;
  state: ExecutorState;
  /** Where the state file of an older executor was set aside, if one was found: its runs cannot be resumed. */
  readonly setAside?: string;

  constructor(dataDir: string) {
    mkdirSync(dataDir, { recursive: true });
    this.file = path.join(dataDir, "state.json");
    const saved = existsSync(this.file) ? (JSON.parse(readFileSync(this.file, "utf8")) as Partial<ExecutorState>) : undefined;
    const fresh: ExecutorState = { version: VERSION, apps: {}, syncedAt: {}, runs: [], events: [], seen: {}, crons: {}, limits: {} };
    if (saved !== undefined && saved.version !== VERSION) {
      this.setAside = `${this.file}.v${saved.version ?? 1}`;
      renameSync(this.file, this.setAside);
    }
    this.state = this.setAside ? fresh : { ...fresh, ...saved };
  }

  save(): void {
    const now = Date.now();
    for (const [key, expires] of Object.entries(this.state.seen)) if (expires < now) delete this.state.seen[key];
    for (const [key, tat] of Object.entries(this.state.limits)) if (tat < now) delete this.state.limits[key];
    // Every change rewrites the file, so finished runs and events are kept only as a recent history.
    const finished = this.state.runs.filter((r) => r.endedAt);
    if (finished.length > KEEP_FINISHED_RUNS) {
      const drop = new Set(finished.slice(0, finished.length - KEEP_FINISHED_RUNS));
      this.state.runs = this.state.runs.filter((r) => !drop.has(r));
    }
    if (this.state.events.length > KEEP_EVENTS) this.state.events = this.state.events.slice(-KEEP_EVENTS);
    const temp = `${this.file}.${process.pid}.tmp`;
    writeFileSync(temp, JSON.stringify(this.state));
    renameSync(temp, this.file);
  }

  functions(): FunctionConfig[] {
    return Object.values(this.state.apps).flat();
  }
}
