/**
 * A run's steps as the dashboard shows them, from its history (one record per call or wait,
 * in call order) and its pending work: each step once, in the order it first appeared, with
 * its status, attempts, start and end, last error and memoised output.
 */
import type { Run, SerializedError, StepRecord } from "../state";
import { isActive } from "../executor";

export type Tone = "ok" | "running" | "retry" | "failed" | "waiting";

export type StepView = {
  id: string;
  name: string;
  status: string;
  tone: Tone;
  attempts: number;
  start: number;
  end?: number;
  /** Until when it sleeps or waits, or when its next attempt comes. */
  until?: number;
  error?: SerializedError;
  output?: { value: unknown };
  /** What it waits for or invokes. */
  detail?: string;
};

const CALLS = new Set<StepRecord["status"]>(["ok", "retry", "failed", "unreachable"]);

function callStart(record: StepRecord): number {
  return Date.parse(record.at) - (record.ms ?? 0);
}

function view(run: Run, id: string, records: StepRecord[], inFlight: Map<string, number>): StepView {
  const last = records.at(-1)!;
  const calls = records.filter((r) => CALLS.has(r.status));
  const memo = run.steps[id];
  const base = {
    id,
    name: last.name,
    attempts: calls.length,
    start: CALLS.has(records[0]!.status) ? callStart(records[0]!) : Date.parse(records[0]!.at),
    ...(memo && "data" in memo ? { output: { value: memo.data } } : {}),
    ...(last.detail && !CALLS.has(last.status) ? { detail: last.detail } : {}),
  };
  const active = isActive(run);
  const until = last.until ? Date.parse(last.until) : undefined;
  switch (last.status) {
    case "ok":
      return { ...base, status: "ok", tone: "ok", end: Date.parse(last.at) };
    case "failed":
      return { ...base, status: "failed", tone: "failed", end: Date.parse(last.at), error: last.error };
    case "retry":
    case "unreachable": {
      const next = run.queue.find((item) => item.stepId === id)?.notBefore;
      const error = last.error ?? (last.detail ? { name: "Error", message: last.detail } : undefined);
      if (!active) return { ...base, status: "stopped while retrying", tone: "failed", end: Date.parse(last.at), error };
      if (inFlight.has(id)) return { ...base, status: `running attempt ${calls.length + 1}`, tone: "running", attempts: calls.length + 1, error };
      return { ...base, status: "retrying", tone: "retry", until: next, error };
    }
    case "sleep":
      if (last.endedAt) return { ...base, status: "slept", tone: "ok", end: Date.parse(last.endedAt) };
      return active ? { ...base, status: "sleeping", tone: "waiting", until } : { ...base, status: "stopped while sleeping", tone: "failed", end: Date.parse(run.endedAt!) };
    case "wait":
    case "invoke": {
      const waiting = last.status === "wait" ? "waiting for event" : "invoking";
      if (!last.endedAt) {
        return active ? { ...base, status: waiting, tone: "waiting", until } : { ...base, status: `stopped while ${waiting}`, tone: "failed", end: Date.parse(run.endedAt!) };
      }
      const failed = last.outcome === "failed" || (last.status === "invoke" && last.outcome === "timed out");
      const error = memo && "error" in memo ? (memo.error as SerializedError) : undefined;
      return { ...base, status: last.outcome ?? "done", tone: failed ? "failed" : "ok", end: Date.parse(last.endedAt), ...(error ? { error } : {}) };
    }
  }
}

/** `inFlight`: the run's steps being called now, and since when (Executor.callsInFlight). */
export function runTimeline(run: Run, inFlight: Map<string, number>, now: number): StepView[] {
  const byStep = new Map<string, StepRecord[]>();
  for (const record of run.history) byStep.set(record.id, [...(byStep.get(record.id) ?? []), record]);
  const steps = [...byStep].map(([id, records]) => view(run, id, records, inFlight));
  // Planned steps with no attempt recorded yet: running for the first time, or waiting for a slot.
  for (const item of run.queue) {
    if (!item.name || byStep.has(item.stepId)) continue;
    const since = inFlight.get(item.stepId);
    steps.push({ id: item.stepId, name: item.name, status: since ? "running" : "queued", tone: "running", attempts: since ? 1 : 0, start: since ?? now });
  }
  // A discovery call runs the next step itself when it can; which one, the SDK says when it answers.
  const discovering = inFlight.get("step");
  if (discovering && !byStep.has("step")) steps.push({ id: "step", name: "next step", status: "running", tone: "running", attempts: 1, start: discovering });
  return steps;
}
