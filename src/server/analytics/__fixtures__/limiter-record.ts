/**
 * The limiter's own record of its decisions, from its diagnostics channel, for tests that
 * check the Tinybird limit where it is decided: in Redis time. Arrival times at the fake
 * Tinybird add the jitter of a busy machine, which no limiter controls; this record does not.
 */
import { subscribe, unsubscribe } from "node:diagnostics_channel";

import { type LimiterEvent, TINYBIRD_LIMITER_CHANNEL } from "../tinybird-limiter";

type EventOf<T extends LimiterEvent["type"]> = Extract<LimiterEvent, { type: T }>;

export interface LimiterRecord {
  /** Every event of the limit, in the order this process heard them. */
  readonly events: LimiterEvent[];
  grants(): EventOf<"grant">[];
  starts(): EventOf<"start">[];
  holdOffs(): EventOf<"hold-off">[];
  stop(): void;
}

/** Records the events of one limit (its key prefix) in this process until `stop`. */
export function recordLimiter(keyPrefix: string): LimiterRecord {
  const events: LimiterEvent[] = [];
  const listener = (message: unknown) => {
    const event = message as LimiterEvent;
    if (event.keyPrefix === keyPrefix) events.push(event);
  };
  subscribe(TINYBIRD_LIMITER_CHANNEL, listener);
  const ofType = <T extends LimiterEvent["type"]>(type: T) => events.filter((e): e is EventOf<T> => e.type === type);
  return {
    events,
    grants: () => ofType("grant"),
    starts: () => ofType("start"),
    holdOffs: () => ofType("hold-off"),
    stop: () => unsubscribe(TINYBIRD_LIMITER_CHANNEL, listener),
  };
}

/**
 * How a run used the limit, from events of one or several processes: the most leases held
 * at once (at any grant) and the smallest time between two consecutive starts, both as
 * Redis decided them.
 */
export function limitUse(events: readonly LimiterEvent[]): { starts: number; maxInFlight: number; minStartGapMs: number | null } {
  const starts = events
    .filter((e) => e.type === "start")
    .map((e) => e.atMs)
    .sort((a, b) => a - b);
  const gaps = starts.slice(1).map((t, i) => t - starts[i]!);
  const inFlight = events.flatMap((e) => (e.type === "grant" ? [e.inFlight] : []));
  return {
    starts: starts.length,
    maxInFlight: Math.max(0, ...inFlight),
    minStartGapMs: gaps.length > 0 ? Math.min(...gaps) : null,
  };
}
