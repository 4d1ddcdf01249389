/**
 * Export job records in Redis, through `@upstash/redis` (Upstash over HTTP, or any Redis over
 * TCP). Layout, readable by an operator with redis-cli:
 *
 *   export_job:<id>               HASH  flat fields: status, type, …, progress_rows, file_key, …
 *   export_jobs:team:<teamId>     ZSET  job ids scored by creation time (ms)
 *   export_jobs:user:<userId>     ZSET  the same, per user
 *
 * Every change is one Lua script that checks the current status and writes in the same step,
 * so a worker's progress or completion can never race past a user's cancel or delete.
 * Records expire after `ttlSeconds`; the sorted sets are pruned of ids older than that, and
 * of any id whose record is gone.
 */
import type { Redis } from "@upstash/redis";

import { AppError } from "~/server/errors";

import {
  allowedTransitions,
  type ExportFile,
  type ExportJob,
  exportJobSchema,
  type ExportProgress,
  type ExportStatus,
  isTerminal,
} from "./export-job";

export const jobKey = (id: string) => `export_job:${id}`;
export const teamJobsKey = (teamId: string) => `export_jobs:team:${teamId}`;
export const userJobsKey = (userId: string) => `export_jobs:user:${userId}`;

type Fields = Record<string, string | number>;

// KEYS: job, team set, user set. ARGV: ttl seconds, score, then field/value pairs.
// Creates the record only if it does not exist yet (a double submit returns 0).
const CREATE = `
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
local fields = {}
for i = 3, #ARGV do fields[#fields + 1] = ARGV[i] end
redis.call('HSET', KEYS[1], unpack(fields))
redis.call('EXPIRE', KEYS[1], ARGV[1])
for k = 2, 3 do
  redis.call('ZADD', KEYS[k], ARGV[2], redis.call('HGET', KEYS[1], 'id'))
  redis.call('EXPIRE', KEYS[k], ARGV[1])
end
return 1`;

// KEYS: job. ARGV: comma-separated statuses the job must be in, then field/value pairs.
// Returns the status the job had, or false when there is no such job; writes only on a match.
const UPDATE_IF_STATUS = `
local status = redis.call('HGET', KEYS[1], 'status')
if not status then return false end
local allowed = ',' .. ARGV[1] .. ','
if not string.find(allowed, ',' .. status .. ',', 1, true) then return 'REFUSED:' .. status end
local fields = {}
for i = 2, #ARGV do fields[#fields + 1] = ARGV[i] end
if #fields > 0 then redis.call('HSET', KEYS[1], unpack(fields)) end
return status`;

function flatten(fields: Fields): (string | number)[] {
  return Object.entries(fields).flatMap(([k, v]) => [k, v]);
}

function progressFields(p: ExportProgress): Fields {
  const fields: Fields = { progress_phase: p.phase, progress_rows: p.rows, progress_bytes: p.bytes };
  if (p.totalRows !== undefined) fields.progress_totalRows = p.totalRows;
  return fields;
}

function fileFields(f: ExportFile): Fields {
  return {
    file_key: f.key,
    file_name: f.name,
    file_size: f.size,
    file_rowCount: f.rowCount,
    file_truncated: f.truncated ? "true" : "false",
    file_expiresAt: f.expiresAt,
  };
}

const str = (v: unknown) => (v === undefined || v === null || v === "" ? undefined : String(v));
const num = (v: unknown) => (v === undefined || v === null || v === "" ? undefined : Number(v));

/** Upstash deserialises hash values that look like JSON; the record is rebuilt leniently. */
function toJob(h: Record<string, unknown>): ExportJob {
  const progressPhase = str(h.progress_phase);
  const fileName = str(h.file_name);
  return exportJobSchema.parse({
    id: str(h.id),
    type: str(h.type),
    status: str(h.status),
    resourceId: str(h.resourceId),
    resourceName: str(h.resourceName),
    groupId: str(h.groupId),
    error: str(h.error),
    errorCode: str(h.errorCode),
    userId: str(h.userId),
    teamId: str(h.teamId),
    channel: str(h.channel),
    createdAt: str(h.createdAt),
    updatedAt: str(h.updatedAt),
    startedAt: str(h.startedAt),
    completedAt: str(h.completedAt),
    progress: progressPhase
      ? { phase: progressPhase, rows: num(h.progress_rows) ?? 0, totalRows: num(h.progress_totalRows), bytes: num(h.progress_bytes) ?? 0 }
      : undefined,
    file:
      fileName && str(h.status) === "COMPLETED"
        ? {
            key: str(h.file_key),
            name: fileName,
            size: num(h.file_size) ?? 0,
            rowCount: num(h.file_rowCount) ?? 0,
            truncated: String(h.file_truncated) === "true",
            expiresAt: str(h.file_expiresAt),
            deletedAt: str(h.file_deletedAt),
          }
        : undefined,
  });
}

export type NewExportJob = Pick<ExportJob, "id" | "type" | "resourceId" | "userId" | "teamId"> &
  Partial<Pick<ExportJob, "resourceName" | "groupId" | "channel">>;

export type TransitionPatch = {
  error?: string;
  errorCode?: string;
  resourceName?: string;
  file?: ExportFile;
  /** Where the file is being written, before it is complete; kept for clean-up. */
  fileKey?: string;
};

export class JobStore {
  constructor(
    private readonly redis: Redis,
    readonly ttlSeconds: number,
  ) {}

  /** Creates a PENDING job; a second create with the same id returns the existing job. */
  async create(input: NewExportJob): Promise<{ job: ExportJob; created: boolean }> {
    const now = new Date();
    const fields: Fields = {
      id: input.id,
      type: input.type,
      status: "PENDING",
      resourceId: input.resourceId,
      userId: input.userId,
      teamId: input.teamId,
      createdAt: now.toISOString(),
      updatedAt: now.toISOString(),
    };
    if (input.resourceName) fields.resourceName = input.resourceName;
    if (input.groupId) fields.groupId = input.groupId;
    if (input.channel) fields.channel = input.channel;
    const created = await this.redis.eval<(string | number)[], number>(
      CREATE,
      [jobKey(input.id), teamJobsKey(input.teamId), userJobsKey(input.userId)],
      [this.ttlSeconds, now.getTime(), ...flatten(fields)],
    );
    const job = await this.get(input.id);
    if (!job) throw new AppError("INTERNAL", "The export job vanished right after it was created");
    return { job, created: created === 1 };
  }

  async get(id: string): Promise<ExportJob | null> {
    const hash = await this.redis.hgetall<Record<string, unknown>>(jobKey(id));
    return hash && Object.keys(hash).length ? toJob(hash) : null;
  }

  /** A job of this team, or NOT_FOUND: another team's job ids are indistinguishable from unknown ones. */
  async getForTeam(teamId: string, id: string): Promise<ExportJob> {
    const job = await this.get(id);
    if (!job || job.teamId !== teamId) throw new AppError("NOT_FOUND", "No such export");
    return job;
  }

  /** The raw key the file is (being) written to, including before the job is COMPLETED. */
  async fileKey(id: string): Promise<string | null> {
    return str(await this.redis.hget(jobKey(id), "file_key")) ?? null;
  }

  async list(scope: { teamId: string } | { userId: string }, page: { limit: number; offset?: number }) {
    const key = "teamId" in scope ? teamJobsKey(scope.teamId) : userJobsKey(scope.userId);
    const offset = page.offset ?? 0;
    await this.redis.zremrangebyscore(key, "-inf", Date.now() - this.ttlSeconds * 1000);
    const ids = await this.redis.zrange<string[]>(key, offset, offset + page.limit - 1, { rev: true });
    const total = await this.redis.zcard(key);
    const jobs = await Promise.all(ids.map((id) => this.get(String(id))));
    const missing = ids.filter((_, i) => !jobs[i]);
    if (missing.length) await this.redis.zrem(key, ...missing);
    const items = jobs.filter((j): j is ExportJob => j !== null);
    const next = offset + ids.length;
    return { items, total: total - missing.length, nextOffset: next < total ? next : null };
  }

  /**
   * Moves a job to `to` if that is legal from its current status, in one atomic step.
   * Refused moves throw CONFLICT naming the status the job is in.
   */
  async transition(id: string, to: ExportStatus, patch: TransitionPatch = {}): Promise<void> {
    const from = (Object.keys(allowedTransitions) as ExportStatus[]).filter((s) => allowedTransitions[s].includes(to));
    const now = new Date().toISOString();
    const fields: Fields = { status: to, updatedAt: now };
    if (to === "PROCESSING") fields.startedAt = now;
    if (isTerminal(to)) fields.completedAt = now;
    if (patch.error) fields.error = patch.error;
    if (patch.errorCode) fields.errorCode = patch.errorCode;
    if (patch.resourceName) fields.resourceName = patch.resourceName;
    if (patch.fileKey) fields.file_key = patch.fileKey;
    if (patch.file) Object.assign(fields, fileFields(patch.file));
    const result = await this.updateIfStatus(id, from, fields);
    if (result === null) throw new AppError("NOT_FOUND", "No such export");
    if (result.startsWith("REFUSED:")) {
      const current = result.slice("REFUSED:".length);
      throw new AppError("CONFLICT", `The export is already ${current.toLowerCase()}`, { details: { status: current } });
    }
  }

  /** Records progress while the job is PROCESSING; returns false once it is not (cancelled, say). */
  async updateProgress(id: string, progress: ExportProgress): Promise<boolean> {
    const result = await this.updateIfStatus(id, ["PROCESSING"], { ...progressFields(progress), updatedAt: new Date().toISOString() });
    return result === "PROCESSING";
  }

  async markFileDeleted(id: string): Promise<void> {
    await this.updateIfStatus(id, ["COMPLETED"], { file_deletedAt: new Date().toISOString() });
  }

  async delete(job: Pick<ExportJob, "id" | "teamId" | "userId">): Promise<void> {
    const tx = this.redis.multi();
    tx.del(jobKey(job.id));
    tx.zrem(teamJobsKey(job.teamId), job.id);
    tx.zrem(userJobsKey(job.userId), job.id);
    await tx.exec();
  }

  private async updateIfStatus(id: string, statuses: readonly ExportStatus[], fields: Fields): Promise<string | null> {
    const result = await this.redis.eval<(string | number)[], string | null>(UPDATE_IF_STATUS, [jobKey(id)], [statuses.join(","), ...flatten(fields)]);
    return result === null || result === undefined ? null : String(result);
  }
}

/**
 * Coalesces a fast export's progress into at most one write per `minIntervalMs`, so a
 * million-row export costs Redis a handful of writes a second, not one per batch.
 */
export function createProgressReporter(store: JobStore, jobId: string, options: { minIntervalMs?: number } = {}) {
  const minIntervalMs = options.minIntervalMs ?? 250;
  let latest: ExportProgress | null = null;
  let lastWrite = 0;
  let timer: ReturnType<typeof setTimeout> | null = null;
  let inFlight: Promise<unknown> = Promise.resolve();
  let writes = 0;

  const write = () => {
    timer = null;
    if (!latest) return;
    const progress = latest;
    latest = null;
    lastWrite = Date.now();
    writes++;
    inFlight = inFlight.then(() => store.updateProgress(jobId, progress)).catch((error: unknown) => {
      // Progress is advisory: a failed write must not fail the export.
      console.error(JSON.stringify({ level: "warn", msg: "export.progress_write_failed", exportId: jobId, error: String(error) }));
    });
  };

  return {
    report(progress: ExportProgress) {
      latest = progress;
      if (timer) return;
      const wait = lastWrite + minIntervalMs - Date.now();
      if (wait <= 0) write();
      else timer = setTimeout(write, wait);
    },
    async flush() {
      if (timer) clearTimeout(timer);
      write();
      await inFlight;
    },
    get writes() {
      return writes;
    },
  };
}

export type ProgressReporter = ReturnType<typeof createProgressReporter>;
