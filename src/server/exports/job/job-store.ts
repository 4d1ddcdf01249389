/**
 * Export job records in Redis, through `@upstash/redis` (Upstash over HTTP, or any Redis over
 * TCP). Layout, readable by an operator with redis-cli:
 *
 *   export_job:<id>               HASH  id, type, status, …, progress_rows, file_key, … (job-record.ts)
 *   export_jobs:team:<teamId>     ZSET  job ids scored by creation time (ms since epoch)
 *   export_jobs:user:<userId>     ZSET  the same, per user
 *   export_job_changes:<id>       CHANNEL  the whole record after each change (job-store-scripts.ts)
 *   export_job_changes:team:<id>  CHANNEL  the same, for every job of the team
 *
 * Every write is one Lua script that checks the current status and writes in the same step, so
 * a worker's progress or completion can never race past a user's cancel or delete. Records
 * expire `ttlSeconds` after creation; the sorted sets lose ids older than that on every create
 * and list, and any id whose record has vanished when a list meets it.
 *
 * Beyond the ExportJob, a record holds its `joinKey` (repeat-joins.ts), its `deadlineAt` (a PENDING job must start by then, a
 * PROCESSING one finish) and the producer lease (`lease_holder`, `lease_heartbeat`, …): one
 * producing attempt at a time, with a heartbeat while it works. A job read past its deadline
 * reads as FAILED, and is recorded so, at once; the watchdog deletes its file and closes its
 * audit row (src/server/exports/watchdog.ts).
 */
import type { Redis } from "@upstash/redis";

import { AppError } from "~/server/errors";
import { defaultFormatId } from "~/server/exports/formats";

import {
  allowedTransitions,
  type ExportFile,
  type ExportJob,
  type ExportStatus,
  exportStatuses,
  type OutcomeEmail,
  isTerminal,
  progressPhases,
  type ProgressUpdate,
  stalledExportError,
} from "./export-job";
import { emailFields, fieldsToJob, fileFields, flatten, type JobFields, pairsToFields, progressFields } from "./job-record";
import {
  ACQUIRE_LEASE,
  CREATE_JOB,
  FAIL_IF_OVERDUE,
  HEARTBEAT,
  JOB_CHANNEL_PREFIX,
  PAGE_IDS,
  READ_JOBS,
  RELEASE_LEASE,
  TEAM_CHANNEL_PREFIX,
  TEXT_MARK,
  unmark,
  unpackStrings,
  UPDATE_IF_STATUS,
  UPDATE_PROGRESS,
} from "./job-store-scripts";

export { createProgressReporter, type ProgressReporter } from "./job-progress-reporter";

/**
 * How long a PENDING job may wait for its run to start: long enough for a queue behind the
 * team's concurrency limit, short enough that a lost event does not leave it waiting for days.
 */
export const START_WITHIN_MS = 30 * 60_000;

export const jobKey = (id: string) => `export_job:${id}`;
export const teamJobsKey = (teamId: string) => `export_jobs:team:${teamId}`;
export const userJobsKey = (userId: string) => `export_jobs:user:${userId}`;
export const jobChannel = (id: string) => `${JOB_CHANNEL_PREFIX}${id}`;
export const teamChannel = (teamId: string) => `${TEAM_CHANNEL_PREFIX}${teamId}`;
/** What a job's channel carries when its record is deleted: an empty record. */
export const DELETED_MESSAGE = TEXT_MARK;

export type NewExportJob = Pick<ExportJob, "id" | "type" | "resourceId" | "userId" | "teamId"> &
  Partial<Pick<ExportJob, "resourceName" | "groupId" | "resourceVersion" | "channel" | "format" | "compression">> & {
    /** The repeat-join entry the job holds (repeat-joins.ts), to remove when it fails or is cancelled. */
    joinKey?: string;
  };

export type TransitionPatch = {
  error?: string;
  errorCode?: string;
  resourceName?: string;
  /** Required to complete: the finished file. */
  file?: ExportFile;
  /** Where the file is being written, before it is complete; kept for clean-up. */
  fileKey?: string;
  /** When a job that has not ended by then is given up (ISO 8601); set as it starts PROCESSING. */
  deadlineAt?: string;
};

/**
 * A job with the heartbeat (ms since epoch) of a producing step still at work, if any, whether
 * this very read failed it for being past its deadline, and its revision (one more on every
 * announced change, so a watcher can tell an older state from a newer one).
 */
export type JobState = { job: ExportJob; heartbeatAt: number | null; failedOverdue: boolean; revision: number };

/** A record's fields as a job state; exported for the change feed, which receives whole records. */
export function fieldsToState(fields: Record<string, string>, failedOverdue = false): JobState {
  return {
    job: fieldsToJob(fields),
    heartbeatAt: fields.lease_heartbeat ? Number(fields.lease_heartbeat) : null,
    failedOverdue,
    revision: Number(fields.rev ?? 0),
  };
}

/** What a producer's lease looks like to it. */
export type LeaseStatus =
  | { state: "held"; /** The last heartbeat of the producer it replaced, while that one winds down. */ supersededHeartbeatAt: number | null }
  /** Another attempt took over. */
  | { state: "lost" }
  /** The job is no longer PROCESSING (`status`), or its record is gone (null). */
  | { state: "ended"; status: ExportStatus | null };

export type JobScope = { teamId: string } | { userId: string };
export type JobPage = { items: ExportJob[]; total: number; nextOffset: number | null };

/** Statuses from which `to` may be reached. */
const sourcesOf = (to: ExportStatus) => (Object.keys(allowedTransitions) as ExportStatus[]).filter((from) => allowedTransitions[from].includes(to));

const MAX_PAGE = 200;

export class JobStore {
  private readonly scripts;

  /** `ttlSeconds`: how long a record lives after its creation (EXPORT_JOB_TTL_SECONDS). */
  constructor(
    private readonly redis: Redis,
    readonly ttlSeconds: number,
  ) {
    if (!Number.isInteger(ttlSeconds) || ttlSeconds <= 0) throw new AppError("INTERNAL", `The job TTL must be a positive whole number of seconds, not ${ttlSeconds}`);
    // EVALSHA first, EVAL on NOSCRIPT: the scripts' text crosses the wire once per server.
    this.scripts = {
      create: redis.createScript<number>(CREATE_JOB),
      read: redis.createScript<unknown[], true>(READ_JOBS, { readonly: true }),
      update: redis.createScript<string | null>(UPDATE_IF_STATUS),
      page: redis.createScript<unknown[]>(PAGE_IDS),
      progress: redis.createScript<string | null>(UPDATE_PROGRESS),
      acquireLease: redis.createScript<string | null>(ACQUIRE_LEASE),
      heartbeat: redis.createScript<string | null>(HEARTBEAT),
      releaseLease: redis.createScript<number>(RELEASE_LEASE),
      failIfOverdue: redis.createScript<number>(FAIL_IF_OVERDUE),
    };
  }

  /** Creates a PENDING job; a second create with the same id returns the existing job. */
  async create(input: NewExportJob): Promise<{ job: ExportJob; created: boolean }> {
    const now = Date.now();
    const at = new Date(now).toISOString();
    const fields: JobFields = {
      id: input.id,
      type: input.type,
      status: "PENDING",
      resourceId: input.resourceId,
      userId: input.userId,
      teamId: input.teamId,
      format: input.format ?? defaultFormatId,
      createdAt: at,
      updatedAt: at,
      deadlineAt: new Date(now + START_WITHIN_MS).toISOString(),
    };
    if (input.resourceName) fields.resourceName = input.resourceName;
    if (input.groupId) fields.groupId = input.groupId;
    if (input.resourceVersion !== undefined) fields.resourceVersion = input.resourceVersion;
    if (input.channel) fields.channel = input.channel;
    if (input.joinKey) fields.joinKey = input.joinKey;
    if (input.compression) fields.compression = input.compression;
    const created = await this.scripts.create.exec(
      [jobKey(input.id), teamJobsKey(input.teamId), userJobsKey(input.userId)],
      [String(this.ttlSeconds), String(now), String(this.pruneBefore(now)), input.id, ...flatten(fields).map(String)],
    );
    const job = await this.get(input.id);
    if (!job) throw new AppError("INTERNAL", "The export job vanished right after it was created");
    return { job, created: Number(created) === 1 };
  }

  async get(id: string): Promise<ExportJob | null> {
    const [state] = await this.readStates([id]);
    return state?.job ?? null;
  }

  /**
   * The jobs with their producers' heartbeats, null where a record is gone. A job past its
   * deadline at `now` is failed first (atomically), so every reader sees it end at once.
   */
  async readStates(ids: string[], now: Date = new Date()): Promise<(JobState | null)[]> {
    const records = await this.readFields(ids);
    const overdue = ids.filter((_, i) => isOverdue(records[i], now));
    const failed = new Set<string>();
    if (overdue.length) {
      const written = new Date().toISOString();
      await Promise.all(
        overdue.map(async (id) => {
          const args = [now.toISOString(), written, stalledExportError.message, stalledExportError.code];
          if (Number(await this.scripts.failIfOverdue.exec([jobKey(id)], args)) === 1) failed.add(id);
        }),
      );
      const reread = await this.readFields(overdue);
      overdue.forEach((id, i) => (records[ids.indexOf(id)] = reread[i] ?? null));
    }
    return records.map((fields, i) => (fields ? fieldsToState(fields, failed.has(ids[i]!)) : null));
  }

  /** A job of this team, or NOT_FOUND: another team's job ids are indistinguishable from unknown ones. */
  async getForTeam(teamId: string, id: string): Promise<ExportJob> {
    const job = await this.get(id);
    if (!job || job.teamId !== teamId) throw new AppError("NOT_FOUND", "No such export");
    return job;
  }

  /** The key the file is (being) written to, including before the job is COMPLETED. */
  async fileKey(id: string): Promise<string | null> {
    const [fields] = await this.readFields([id]);
    return fields?.file_key || null;
  }

  /** The repeat-join entry the job holds, if any. */
  async joinKey(id: string): Promise<string | null> {
    const [fields] = await this.readFields([id]);
    return fields?.joinKey || null;
  }

  /**
   * A page of a team's or a user's jobs, newest first. `total` counts the index after pruning;
   * `nextOffset` is where the next page starts, or null after the last one.
   */
  async list(scope: JobScope, page: { limit: number; offset?: number }): Promise<JobPage> {
    const states = await this.listStates(scope, page);
    return { ...states, items: states.items.map((state) => state.job) };
  }

  /** `list`, with each job's state (its revision among it). */
  async listStates(scope: JobScope, page: { limit: number; offset?: number }): Promise<Omit<JobPage, "items"> & { items: JobState[] }> {
    const key = "teamId" in scope ? teamJobsKey(scope.teamId) : userJobsKey(scope.userId);
    const limit = Math.min(Math.max(Math.trunc(page.limit), 1), MAX_PAGE);
    let position = Math.max(Math.trunc(page.offset ?? 0), 0);
    const items: JobState[] = [];
    let total = 0;
    // Ids whose record expired are dropped from the index and the page is topped up from
    // further down, so a page is short only at the end of the list.
    for (;;) {
      const [size, ...marked] = await this.scripts.page.exec([key], [String(this.pruneBefore(Date.now())), String(position), String(limit - items.length)]);
      total = Number(size);
      const ids = marked.map(unmark);
      if (!ids.length) break;
      const records = await this.readStates(ids);
      const missing = ids.filter((_, i) => !records[i]);
      if (missing.length) {
        await this.redis.zrem(key, ...missing);
        total -= missing.length;
      }
      for (const state of records) if (state) items.push(state);
      position += ids.length - missing.length;
      if (!missing.length || items.length >= limit) break;
    }
    return { items, total, nextOffset: position < total ? position : null };
  }

  /**
   * Moves a job to `to` if that is legal from its current status, in one atomic step.
   * Refused moves throw CONFLICT with the job's current status in `details.status`.
   */
  async transition(id: string, to: ExportStatus, patch: TransitionPatch = {}): Promise<void> {
    if (to === "COMPLETED" && !patch.file) throw new AppError("INTERNAL", "An export completes with its file");
    const now = new Date().toISOString();
    const fields: JobFields = { status: to, updatedAt: now };
    if (to === "PROCESSING") fields.startedAt = now;
    if (isTerminal(to)) fields.completedAt = now;
    if (patch.error) fields.error = patch.error;
    if (patch.errorCode) fields.errorCode = patch.errorCode;
    if (patch.resourceName) fields.resourceName = patch.resourceName;
    if (patch.fileKey) fields.file_key = patch.fileKey;
    if (patch.deadlineAt) fields.deadlineAt = patch.deadlineAt;
    if (patch.file) Object.assign(fields, fileFields(patch.file));
    refuseUnlessWritten(await this.updateIfStatus(id, sourcesOf(to), fields));
  }

  /**
   * Asks for an email to `to` about the job's outcome, carrying `link`, while the job has not
   * ended: one atomic step, so that whoever reads the job after it ended sees every email asked
   * for in time. An ended job is refused with CONFLICT, as a transition is.
   */
  async requestOutcomeEmail(id: string, to: string, link: string): Promise<void> {
    const { set, unset } = emailFields({ to, status: "PENDING" });
    const fields = { ...set, email_link: link, updatedAt: new Date().toISOString() };
    refuseUnlessWritten(await this.updateIfStatus(id, ["PENDING", "PROCESSING"], fields, unset));
  }

  /** Records how the outcome email went, whatever the job's status; NOT_FOUND once the record is gone. */
  async recordOutcomeEmail(id: string, email: OutcomeEmail): Promise<void> {
    const { set, unset } = emailFields(email);
    refuseUnlessWritten(await this.updateIfStatus(id, exportStatuses, { ...set, updatedAt: new Date().toISOString() }, unset));
  }

  /** The download link the outcome email carries, set when it was asked for. */
  async outcomeEmailLink(id: string): Promise<string | null> {
    const [fields] = await this.readFields([id]);
    return fields?.email_link || null;
  }

  /**
   * Records progress while the job is PROCESSING, from the lease's holder (`producer`), never
   * backwards (UPDATE_PROGRESS). Returns whether it was written: false once the job has ended,
   * another attempt holds the lease, or the update is behind what is recorded.
   */
  async updateProgress(id: string, progress: ProgressUpdate, producer = ""): Promise<boolean> {
    const { set, unset } = progressFields(progress);
    const fields = flatten({ ...set, updatedAt: new Date().toISOString() }).map(String);
    const result = await this.scripts.progress.exec(
      [jobKey(id)],
      [producer, progressPhases.join(","), unset.join(","), progress.phase, String(progress.rows), ...fields],
    );
    return result === "WRITTEN";
  }

  /** Takes the producer lease for a new attempt (`token`), from whoever held it. */
  async acquireLease(id: string, token: string, now = Date.now()): Promise<LeaseStatus> {
    return leaseStatus(await this.scripts.acquireLease.exec([jobKey(id)], [token, String(now)]));
  }

  /** The producer's heartbeat: records that it is alive, and tells it whether it still holds the lease. */
  async heartbeat(id: string, token: string, now = Date.now()): Promise<LeaseStatus> {
    return leaseStatus(await this.scripts.heartbeat.exec([jobKey(id)], [token, String(now)]));
  }

  /** The producer stands down; its heartbeat goes with it. */
  async releaseLease(id: string, token: string): Promise<void> {
    await this.scripts.releaseLease.exec([jobKey(id)], [token]);
  }

  /** Notes that a completed job's file was removed from storage; the record stays for its TTL. */
  async markFileDeleted(id: string): Promise<void> {
    await this.updateIfStatus(id, ["COMPLETED"], { file_deletedAt: new Date().toISOString() });
  }

  /** Removes the record and its index entries. Deleting a missing job is not an error. */
  async delete(job: string | Pick<ExportJob, "id" | "teamId" | "userId">): Promise<void> {
    const target = typeof job === "string" ? await this.get(job) : job;
    if (!target) return;
    const tx = this.redis.multi();
    tx.del(jobKey(target.id));
    tx.zrem(teamJobsKey(target.teamId), target.id);
    tx.zrem(userJobsKey(target.userId), target.id);
    tx.publish(jobChannel(target.id), DELETED_MESSAGE);
    await tx.exec();
  }

  private pruneBefore(now: number): number {
    return now - this.ttlSeconds * 1000;
  }

  private async readFields(ids: string[]): Promise<(Record<string, string> | null)[]> {
    const replies = await this.scripts.read.exec(ids.map(jobKey), []);
    return ids.map((_, i) => {
      const flat = unpackStrings(replies[i]);
      return flat.length ? pairsToFields(flat) : null;
    });
  }

  private async updateIfStatus(id: string, statuses: readonly ExportStatus[], fields: JobFields, unset: readonly string[] = []): Promise<string | null> {
    const result = await this.scripts.update.exec([jobKey(id)], [statuses.join(","), unset.join(","), ...flatten(fields).map(String)]);
    return result === null || result === undefined ? null : String(result);
  }
}

function isOverdue(fields: Record<string, string> | null | undefined, now: Date): boolean {
  if (!fields?.deadlineAt || (fields.status !== "PENDING" && fields.status !== "PROCESSING")) return false;
  return Date.parse(fields.deadlineAt) < now.getTime();
}

/** An UPDATE_IF_STATUS reply as the error it stands for: NOT_FOUND without a record, CONFLICT with the status that refused it. */
function refuseUnlessWritten(result: string | null): void {
  if (result === null) throw new AppError("NOT_FOUND", "No such export");
  if (result.startsWith("REFUSED:")) {
    const current = result.slice("REFUSED:".length);
    throw new AppError("CONFLICT", `The export is already ${current.toLowerCase()}`, { details: { status: current } });
  }
}

function leaseStatus(reply: string | null | undefined): LeaseStatus {
  if (reply === null || reply === undefined) return { state: "ended", status: null };
  const text = String(reply);
  if (text === "LOST") return { state: "lost" };
  if (text.startsWith("HELD")) {
    const superseded = text.slice("HELD:".length);
    return { state: "held", supersededHeartbeatAt: superseded ? Number(superseded) : null };
  }
  const status = text.slice("REFUSED:".length) as ExportStatus;
  if (!exportStatuses.includes(status)) throw new AppError("INTERNAL", `Unexpected lease reply from Redis: ${text.slice(0, 40)}`);
  return { state: "ended", status };
}
