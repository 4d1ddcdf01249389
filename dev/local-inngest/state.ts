/**
 * The executor's memory: synced functions, runs with their memoised steps, and the keys
 * that deduplicate events. It is written to disk (temp file + rename) after every change,
 * so a killed executor resumes each run from its last finished step.
 */
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import path from "node:path";

export type Trigger = { event?: string; expression?: string; cron?: string };
export type Concurrency = { limit: number; key?: string; scope?: string };

export type FunctionConfig = {
  id: string;
  name?: string;
  triggers: Trigger[];
  url: string;
  /** Attempts per step: the config's `retries` plus one. */
  attempts: number;
  concurrency: Concurrency[];
  cancel: { event: string; if?: string; timeout?: string }[];
  timeoutFinishMs?: number;
  idempotency?: string;
};

export type RunStatus = "Queued" | "Running" | "Sleeping" | "Completed" | "Failed" | "Cancelled";

export type StepRecord = { id: string; name: string; status: "ok" | "error" | "failed" | "sleep" | "retry" | "unreachable"; ms?: number; at: string; detail?: string };

export type InngestEvent = { id?: string; name: string; data: Record<string, unknown>; ts?: number; user?: unknown };

export type Run = {
  id: string;
  functionId: string;
  event: InngestEvent;
  status: RunStatus;
  /** hashed step id → memoised result, exactly as the SDK expects it back. */
  steps: Record<string, { data: unknown } | { error: unknown }>;
  /** Completed step ids in order. */
  stack: string[];
  /** Steps the SDK planned (parallel steps), run one after another. */
  planned: { id: string; name?: string }[];
  /** The attempt of whatever is run next: retries count per step, as in Inngest. */
  attempt: number;
  /** While Sleeping, or waiting to retry: when to go on. */
  wakeAt?: number;
  /** The Sleep op to memoise once the run wakes. */
  sleepingOn?: string;
  concurrencyKeys: string[];
  createdAt: string;
  startedAt?: string;
  endedAt?: string;
  output?: unknown;
  error?: unknown;
  history: StepRecord[];
};

export type ExecutorState = {
  apps: Record<string, FunctionConfig[]>;
  runs: Run[];
  /** Deduplication keys (event ids, idempotency keys) → expiry in ms. */
  seen: Record<string, number>;
  /**
   * Each cron trigger's next slot in ms, by `<function id> <expression>`. It moves on in the
   * same write that records the slot's run, so a restarted executor neither fires a slot
   * twice nor forgets one that fell while it was down.
   */
  crons: Record<string, number>;
};

const KEEP_FINISHED_RUNS = 500;

export class StateFile {
  readonly file: string;
  state: ExecutorState;

  constructor(dataDir: string) {
    mkdirSync(dataDir, { recursive: true });
    this.file = path.join(dataDir, "state.json");
    const saved = existsSync(this.file) ? (JSON.parse(readFileSync(this.file, "utf8")) as Partial<ExecutorState>) : {};
    this.state = { apps: {}, runs: [], seen: {}, crons: {}, ...saved };
  }

  save(): void {
    const now = Date.now();
    for (const [key, expires] of Object.entries(this.state.seen)) if (expires < now) delete this.state.seen[key];
    // Every change rewrites the file, so finished runs are kept only as a recent history.
    const finished = this.state.runs.filter((r) => r.endedAt);
    if (finished.length > KEEP_FINISHED_RUNS) {
      const drop = new Set(finished.slice(0, finished.length - KEEP_FINISHED_RUNS));
      this.state.runs = this.state.runs.filter((r) => !drop.has(r));
    }
    const temp = `${this.file}.${process.pid}.tmp`;
    writeFileSync(temp, JSON.stringify(this.state));
    renameSync(temp, this.file);
  }

  functions(): FunctionConfig[] {
    return Object.values(this.state.apps).flat();
  }
}
