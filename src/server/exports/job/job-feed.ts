/**
 * Live changes of export jobs for watchers, at a cost that does not grow with their number.
 *
 * Over TCP Redis, the job store publishes each changed record on the job's channel and its
 * team's (job-store-scripts.ts); one subscriber connection per process carries them to every
 * watcher in it. Over Upstash's HTTP API (no subscriber connection: the SDK's `subscribe`
 * holds one HTTP stream per channel and neither confirms it nor resumes it), one shared poller
 * per channel per process reads the store and fans its reads out to every watcher.
 *
 * A watcher reads the state once on joining (after its subscription is in place, so nothing
 * falls between) and again whenever messages may have been lost; states not newer than the
 * last one it yielded (by the record's `rev`) are skipped, so each change arrives once, in order.
 */
import { AppError } from "~/server/errors";
import type { ChangeSubscriber } from "~/server/redis";

import { type ExportJob, isTerminal } from "./export-job";
import { pairsToFields } from "./job-record";
import { unpackStrings } from "./job-store-scripts";
import { fieldsToState, jobChannel, type JobState, type JobStore, teamChannel } from "./job-store";

/** The most jobs of a team a watcher catches up on when it joins: the export center's page. */
export const TEAM_CATCH_UP_LIMIT = 100;
const DEFAULT_POLL_MS = 500;

type Listener = { state(state: JobState): void; gone(): void; resync(): void };
type Event = { kind: "state"; state: JobState } | { kind: "gone" } | { kind: "resync" };
type Read = () => Promise<JobState[] | null>;

/** Events in arrival order, awaited one at a time; a pending wait ends when the signal aborts. */
class Inbox implements Listener {
  private readonly queue: Event[] = [];
  private wake: (() => void) | null = null;

  state = (state: JobState) => this.push({ kind: "state", state });
  gone = () => this.push({ kind: "gone" });
  resync = () => this.push({ kind: "resync" });

  private push(event: Event) {
    this.queue.push(event);
    this.wake?.();
  }

  async next(signal?: AbortSignal): Promise<Event | null> {
    while (!this.queue.length) {
      if (signal?.aborted) return null;
      let onAbort = () => {};
      await new Promise<void>((resolve) => {
        this.wake = resolve;
        onAbort = () => resolve();
        signal?.addEventListener("abort", onAbort, { once: true });
      });
      // One wait at a time: a listener left on the request's signal per event would pile up.
      signal?.removeEventListener("abort", onAbort);
      this.wake = null;
    }
    return this.queue.shift()!;
  }
}

/** One read loop per channel, however many listen; it stops when the last listener leaves. */
class SharedPoller {
  private readonly channels = new Map<string, { listeners: Set<Listener>; timer: ReturnType<typeof setTimeout> | null }>();

  constructor(private readonly intervalMs: number) {}

  listen(channel: string, read: Read, listener: Listener): () => void {
    let entry = this.channels.get(channel);
    if (!entry) {
      const created = { listeners: new Set<Listener>(), timer: null as ReturnType<typeof setTimeout> | null };
      const tick = async () => {
        const states = await read().catch(() => undefined);
        if (!this.channels.has(channel)) return;
        // A failed read is retried on the next tick; the watchers keep their last state.
        if (states !== undefined) {
          for (const listener of created.listeners) {
            if (states) states.forEach(listener.state);
            else listener.gone();
          }
        }
        created.timer = setTimeout(() => void tick(), this.intervalMs);
      };
      created.timer = setTimeout(() => void tick(), this.intervalMs);
      this.channels.set(channel, created);
      entry = created;
    }
    entry.listeners.add(listener);
    return () => {
      const current = this.channels.get(channel);
      if (!current?.listeners.delete(listener) || current.listeners.size) return;
      if (current.timer) clearTimeout(current.timer);
      this.channels.delete(channel);
    };
  }
}

export class JobFeed {
  private readonly poller: SharedPoller;

  /** `subscriber`: the process's pub/sub connection, or null where only polling is possible. */
  constructor(
    private readonly store: JobStore,
    private readonly subscriber: ChangeSubscriber | null,
    options: { pollMs?: number } = {},
  ) {
    this.poller = new SharedPoller(options.pollMs ?? DEFAULT_POLL_MS);
  }

  /**
   * A job of the team, every time it changes, until it ends (the final state included, also for
   * a watcher that joins after the end). NOT_FOUND when it is not the team's, or is deleted.
   */
  async *watchJob(teamId: string, id: string, signal?: AbortSignal): AsyncGenerator<ExportJob> {
    const read: Read = async () => {
      const [state] = await this.store.readStates([id]);
      return state ? [state] : null;
    };
    const inbox = new Inbox();
    const leave = await this.listen(jobChannel(id), read, inbox);
    try {
      let revision = -1;
      let event: Event | null = { kind: "resync" };
      while (event) {
        const states = event.kind === "resync" ? await read() : event.kind === "state" ? [event.state] : null;
        if (!states || states[0]!.job.teamId !== teamId) throw new AppError("NOT_FOUND", "No such export");
        const { job, revision: current } = states[0]!;
        if (current > revision) {
          revision = current;
          yield job;
          if (isTerminal(job.status)) return;
        }
        event = await inbox.next(signal);
      }
    } finally {
      leave();
    }
  }

  /**
   * Every change of the team's jobs, until the signal aborts: first the team's running jobs
   * (among its latest TEAM_CATCH_UP_LIMIT), then each change as it is written.
   */
  async *watchTeam(teamId: string, signal?: AbortSignal): AsyncGenerator<ExportJob> {
    const read: Read = async () => (await this.store.listStates({ teamId }, { limit: TEAM_CATCH_UP_LIMIT })).items;
    const inbox = new Inbox();
    const leave = await this.listen(teamChannel(teamId), read, inbox);
    const revisions = new Map<string, number>();
    const isNew = ({ job, revision }: JobState) => {
      const known = revisions.get(job.id);
      if (known !== undefined && revision <= known) return false;
      revisions.set(job.id, revision);
      return true;
    };
    try {
      let event: Event | null = { kind: "resync" };
      while (event) {
        if (event.kind === "resync") {
          for (const state of (await read()) ?? []) if (isNew(state) && !isTerminal(state.job.status)) yield state.job;
        } else if (event.kind === "state" && event.state.job.teamId === teamId && isNew(event.state)) {
          yield event.state.job;
        }
        event = await inbox.next(signal);
      }
    } finally {
      leave();
    }
  }

  private async listen(channel: string, read: Read, listener: Listener): Promise<() => void> {
    if (!this.subscriber) return this.poller.listen(channel, read, listener);
    return this.subscriber.listen(channel, {
      message: (payload) => {
        let received: JobState | null;
        try {
          const flat = unpackStrings(payload);
          received = flat.length ? fieldsToState(pairsToFields(flat)) : null;
        } catch {
          // A record this process cannot read (say, written by a newer release): read it afresh.
          listener.resync();
          return;
        }
        if (received) listener.state(received);
        else listener.gone();
      },
      resync: listener.resync,
    });
  }
}
