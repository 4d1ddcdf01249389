/**
 * What an export kind is: one thing a team can export (a metric, the visits of a document, of
 * a dataroom, of a dataroom's group), defined once, in a file of its own under kinds/, and
 * listed in the registry (kinds/index.ts). Every layer reads that definition: tRPC and REST
 * take their inputs from `input`, starting an export authorises with `findResource`, the
 * engine's run loads, collects and produces with the rest, and the UI shows `label` and
 * `unit`. The format (formats/) turns the rows it produces into bytes, and the destination
 * (destinations/) receives them.
 */
import type { z } from "zod";

import type { ExportKind, ProgressUpdate } from "~/server/exports/job/export-job";
import type { CsvRecordsResult, CsvRules, QueryResult } from "~/server/sources";

/**
 * What an export is of, as its job record names it: the resource, for a group its group, and
 * for a resource that keeps versions (a metric) the version's number.
 */
export type ExportTarget = { resourceId: string; groupId?: string; version?: number };

/**
 * The team's resource as an export finds it: its name, and for a resource that keeps versions
 * the version the export runs (the target's, or the latest when the target names none).
 */
export type FoundResource = { name: string; version?: number };

/**
 * Who asked for an export: the event's claims, which every step checks against the job record.
 * `fileTtlSeconds`, when set, is the file's lifetime instead of the kind's (a schedule's retention).
 */
export type ExportRequest = { exportId: string; teamId: string; userId: string; fileTtlSeconds?: number };

type Json = string | number | boolean | null | Json[] | { [key: string]: Json };
/** Step results travel as JSON, and come back as such on a replay. */
export type JsonObject = { [key: string]: Json };

/**
 * How long a run may take, how often it is retried and how many run at once. The engine's
 * function takes `finishWithinMinutes` (`timeouts.finish`), `retries` and `concurrencyPerTeam`
 * from here, and the watchdog its bounds, so that it never gives up a run the engine still
 * keeps alive.
 */
export type RunLimits = {
  /** The run's `timeouts.finish`, in minutes; the producing step stops by then too. */
  finishWithinMinutes: number;
  /** Retries per step (Inngest's `retries`). */
  retries: 0 | 1 | 2 | 3 | 4 | 5;
  /**
   * How long a producing step may go without a heartbeat before it counts as dead. A step
   * whose process was killed is retried by the engine after its back-off, and the retry's
   * heartbeat takes over; Inngest waits 15 s, 30 s, 1 min, 2 min … between attempts, plus up
   * to 30 s of jitter (pkg/backoff in inngest/inngest). The bound is the sum of those waits
   * for every retry, counted one step of the table later for safety.
   */
  silentForMs: number;
  /** Runs of one team at once; the rest wait in the engine's queue. */
  concurrencyPerTeam: number;
  /** How long the file lives once the export completes. */
  fileTtlSeconds: () => number;
};

/**
 * A run of the engine that produces exports of one or more kinds: they share its limits and
 * the names of its checkpoints (which the engine's dashboard shows).
 */
export type ExportRun = { limits: RunLimits; loadStep: string; produceStep: string };

/**
 * Work checkpointed by the engine: run once, its result recorded and replayed, so that a run
 * that dies resumes after the last checkpoint. The work checks the job record first, itself.
 */
export type Checkpoint = <T extends Json>(name: string, work: () => Promise<T>) => Promise<T>;

/** What collecting gets: the engine's checkpoints, and where to report progress. */
export type CollectContext = { checkpoint: Checkpoint; progress: (update: ProgressUpdate) => Promise<void> };

/** What producing gets: where to report progress, when to stop, and what the format accepts. */
export type ProduceContext = {
  signal: AbortSignal;
  progress: (update: ProgressUpdate) => void;
  /**
   * The rules under which a database may encode the file itself (PostgreSQL's COPY … CSV),
   * when the export's format takes records so encoded; null when it needs rows.
   */
  databaseEncoding: CsvRules | null;
};

/** Typed rows, or records the database encoded for the format, with what else the run needs. */
export type ProducedRows = (QueryResult | CsvRecordsResult) & {
  /** How many rows to expect, when known beforehand, for the progress bar. */
  totalRows?: number;
  /** Frees what producing held (a data-source connection) once the file is written or abandoned. */
  close?(): Promise<void>;
};

/**
 * One kind. Methods rather than function-valued fields, so that a definition with its own
 * input and plan types still fits the registry's list of every kind.
 */
export interface ExportKindDefinition<
  Id extends ExportKind = ExportKind,
  Input extends z.ZodObject = z.ZodObject,
  Plan extends JsonObject = JsonObject,
  Collected = unknown,
> {
  id: Id;
  /** How the UI names the kind, e.g. in the list of exports and the audit log's filter. */
  label: string;
  /** What its rows are, in counts the UI shows ("1,204 views"). */
  unit: { one: string; many: string };
  /** What starting an export takes besides the team (tRPC and REST). */
  input: Input;
  /** The REST endpoint that starts it, if any; OpenAPI and the route handler read it. */
  rest?: KindRestEndpoint<z.infer<Input>>;
  /** The run that produces it. */
  run: ExportRun;
  /**
   * Whether a repeated start (same user, same target, same options) joins the export it
   * repeats while that runs or its file lives, instead of starting another (repeat-joins.ts).
   */
  joinsRepeats?: boolean;

  target(input: z.infer<Input>): ExportTarget;
  /**
   * The team's resource, by the same lookup when an export starts and when it loads; NOT_FOUND
   * if it is not the team's, or has no such version.
   */
  findResource(teamId: string, target: ExportTarget): Promise<FoundResource>;
  /** For kinds that export views: how many an export started now would cover, by the filter the export reads (Papermark's views-count). */
  viewCount?(target: ExportTarget): Promise<number>;
  /** What the run fixes when it starts: a plan that every later step (and replay) works from, and the file's name without its extension. */
  load(request: ExportRequest, target: ExportTarget, resource: FoundResource): Promise<{ plan: Plan; fileStem: string }>;
  /** Optional checkpointed work between loading and producing (a visit export fetches durations in batches). */
  collect?(request: ExportRequest, target: ExportTarget, plan: Plan, ctx: CollectContext): Promise<Collected>;
  /** The rows, streamed: the format encodes them as they come. */
  produce(request: ExportRequest, target: ExportTarget, plan: Plan, collected: Collected, ctx: ProduceContext): Promise<ProducedRows>;
}

/** A REST endpoint that starts an export of one kind: its path's parameters name the input's fields. */
export type KindRestEndpoint<Input> = {
  /** OpenAPI's form, e.g. `/api/teams/{teamId}/documents/{id}/export-visits`. */
  path: string;
  operationId: string;
  summary: string;
  /** Each path parameter (besides teamId): the input field it fills, and what it is. */
  params: Record<string, { field: keyof Input & string; description: string }>;
};
