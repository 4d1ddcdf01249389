/**
 * The job store's Lua scripts. Each runs atomically in Redis, so a check and the write it
 * guards can never be split by another client's write. Every key a script touches is passed
 * in KEYS, which Upstash needs to lock only those keys.
 *
 * Scripts that return stored text prefix each string with `~`: `@upstash/redis` JSON-parses
 * replies by default, which would turn a stored "1e5" into 100000 or "null" into null. No JSON
 * value starts with `~`, so the text arrives exactly as stored (see `unmark`). A whole record
 * travels as one such string of netstrings (`<bytes>:<text>` each), because the client's
 * parser pays for a thrown exception on every string it cannot parse.
 */
import { AppError } from "~/server/errors";

export const TEXT_MARK = "~";

/** The stored text of a reply string that a script marked. */
export function unmark(value: unknown): string {
  const text = String(value);
  return text.startsWith(TEXT_MARK) ? text.slice(TEXT_MARK.length) : text;
}

/** The strings a script packed with `pack` (below), in order. */
export function unpackStrings(value: unknown): string[] {
  const bytes = Buffer.from(unmark(value), "utf8");
  const out: string[] = [];
  let at = 0;
  while (at < bytes.length) {
    const colon = bytes.indexOf(0x3a, at);
    const length = colon > at ? Number(bytes.toString("latin1", at, colon)) : NaN;
    if (!Number.isInteger(length) || colon + 1 + length > bytes.length) throw new AppError("INTERNAL", "Redis returned a malformed job record");
    out.push(bytes.toString("utf8", colon + 1, colon + 1 + length));
    at = colon + 1 + length;
  }
  return out;
}

/** Lua: one marked string holding every string of a list, as netstrings (Lua's # counts bytes). */
const PACK = `
local function pack(list)
  local parts = {}
  for j = 1, #list do parts[j] = #list[j] .. ':' .. list[j] end
  return '${TEXT_MARK}' .. table.concat(parts)
end`;

/** The pub/sub channels a job's changes are announced on: its own, and its team's. */
export const JOB_CHANNEL_PREFIX = "export_job_changes:";
export const TEAM_CHANNEL_PREFIX = "export_job_changes:team:";

/**
 * Lua: after a write, bumps the record's \`rev\` and publishes the whole record (packed, as
 * READ_JOBS returns it) on the job's channel and its team's, inside the same script: a watcher
 * gets every change in the order it was written, and needs no read to see it.
 */
const ANNOUNCE = `${PACK}
local function announce(key)
  redis.call('HINCRBY', key, 'rev', 1)
  local record = redis.call('HGETALL', key)
  local packed = pack(record)
  local id, team = '', ''
  for j = 1, #record, 2 do
    if record[j] == 'id' then id = record[j + 1] elseif record[j] == 'teamId' then team = record[j + 1] end
  end
  redis.call('PUBLISH', '${JOB_CHANNEL_PREFIX}' .. id, packed)
  redis.call('PUBLISH', '${TEAM_CHANNEL_PREFIX}' .. team, packed)
end`;

/**
 * Creates a job unless its id exists (a double submit returns 0), and indexes it by team and
 * by user, pruning index entries older than the record's lifetime on the way.
 * KEYS: job hash, team set, user set. ARGV: ttl seconds, score (ms), prune-before (ms), id,
 * then field/value pairs.
 */
export const CREATE_JOB = `${ANNOUNCE}
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
redis.call('HSET', KEYS[1], unpack(ARGV, 5))
redis.call('EXPIRE', KEYS[1], ARGV[1])
for k = 2, 3 do
  redis.call('ZREMRANGEBYSCORE', KEYS[k], '-inf', '(' .. ARGV[3])
  redis.call('ZADD', KEYS[k], ARGV[2], ARGV[4])
  redis.call('EXPIRE', KEYS[k], ARGV[1])
end
announce(KEYS[1])
return 1`;

/**
 * Reads job hashes. KEYS: job hashes. Returns, per key, its flat field/value list packed into
 * one string (an empty pack when the record is gone).
 */
export const READ_JOBS = `${PACK}
local out = {}
for i, key in ipairs(KEYS) do out[i] = pack(redis.call('HGETALL', key)) end
return out`;

/**
 * Writes fields only while the job is in one of the given statuses. KEYS: job hash.
 * ARGV: comma-separated statuses, comma-separated fields to delete (or ''), then field/value
 * pairs. Returns the status the job was in ('REFUSED:<status>' when it did not match), or nil
 * when there is no such job, in which case nothing is written: a late progress update never
 * recreates a deleted or expired record.
 */
export const UPDATE_IF_STATUS = `${ANNOUNCE}
local status = redis.call('HGET', KEYS[1], 'status')
if not status then return nil end
if not string.find(',' .. ARGV[1] .. ',', ',' .. status .. ',', 1, true) then return 'REFUSED:' .. status end
if #ARGV > 2 then redis.call('HSET', KEYS[1], unpack(ARGV, 3)) end
for field in string.gmatch(ARGV[2], '[^,]+') do redis.call('HDEL', KEYS[1], field) end
announce(KEYS[1])
return status`;

/**
 * One page of an index, newest first, after dropping entries older than the records' lifetime.
 * KEYS: the sorted set. ARGV: prune-before (ms), offset, count. Returns the set's size, then
 * the page's ids, marked.
 */
export const PAGE_IDS = `
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', '(' .. ARGV[1])
local out = { redis.call('ZCARD', KEYS[1]) }
local offset = tonumber(ARGV[2])
local ids = redis.call('ZREVRANGE', KEYS[1], offset, offset + tonumber(ARGV[3]) - 1)
for i = 1, #ids do out[i + 1] = '${TEXT_MARK}' .. ids[i] end
return out`;

/**
 * Records progress from the export's producer, never backwards. KEYS: job hash. ARGV: the
 * producer's lease token ('' for a step that holds none), the progress phases in order
 * (comma-separated), fields to delete (or ''), the new phase, the new row count, then
 * field/value pairs. The write lands only while the job is PROCESSING, only from the lease's
 * holder (or, with no token, while nobody holds it), and only if it is not behind what is
 * stored: a later phase, or the same phase with at least as many rows. Returns 'WRITTEN',
 * 'BEHIND', 'NOT_HOLDER', 'REFUSED:<status>', or nil when there is no such job.
 */
export const UPDATE_PROGRESS = `${ANNOUNCE}
local job = redis.call('HMGET', KEYS[1], 'status', 'lease_holder', 'progress_phase', 'progress_rows')
if not job[1] then return nil end
if job[1] ~= 'PROCESSING' then return 'REFUSED:' .. job[1] end
if (job[2] or '') ~= ARGV[1] then return 'NOT_HOLDER' end
local function rank(phase)
  if not phase then return -1 end
  local i = 0
  for known in string.gmatch(ARGV[2], '[^,]+') do
    i = i + 1
    if known == phase then return i end
  end
  return 0
end
local was, now = rank(job[3]), rank(ARGV[4])
if now < was or (now == was and tonumber(ARGV[5]) < tonumber(job[4] or '0')) then return 'BEHIND' end
redis.call('HSET', KEYS[1], unpack(ARGV, 6))
for field in string.gmatch(ARGV[3], '[^,]+') do redis.call('HDEL', KEYS[1], field) end
announce(KEYS[1])
return 'WRITTEN'`;

/**
 * Takes the producer lease of a PROCESSING job for a new attempt, whoever held it: the holder
 * it replaces is kept as `lease_superseded` (with its last heartbeat) until it stands down.
 * KEYS: job hash. ARGV: token, now (ms). Returns 'HELD', 'REFUSED:<status>', or nil.
 */
export const ACQUIRE_LEASE = `
local job = redis.call('HMGET', KEYS[1], 'status', 'lease_holder', 'lease_heartbeat')
if not job[1] then return nil end
if job[1] ~= 'PROCESSING' then return 'REFUSED:' .. job[1] end
if job[2] and job[2] ~= ARGV[1] then
  redis.call('HSET', KEYS[1], 'lease_superseded', job[2], 'lease_supersededHeartbeat', job[3] or '0')
end
redis.call('HSET', KEYS[1], 'lease_holder', ARGV[1], 'lease_heartbeat', ARGV[2])
return 'HELD'`;

/**
 * A producer's heartbeat. KEYS: job hash. ARGV: token, now (ms). The holder's beat is
 * recorded and answered 'HELD:<the superseded producer's last beat, or empty>'; a superseded
 * producer that is still winding down records its beat and gets 'LOST'; anyone else 'LOST'.
 * A job that is no longer PROCESSING answers 'REFUSED:<status>', a missing one nil.
 */
export const HEARTBEAT = `
local job = redis.call('HMGET', KEYS[1], 'status', 'lease_holder', 'lease_superseded', 'lease_supersededHeartbeat')
if not job[1] then return nil end
if job[1] ~= 'PROCESSING' then return 'REFUSED:' .. job[1] end
if job[2] == ARGV[1] then
  redis.call('HSET', KEYS[1], 'lease_heartbeat', ARGV[2])
  return 'HELD:' .. (job[3] and job[4] or '')
end
if job[3] == ARGV[1] then redis.call('HSET', KEYS[1], 'lease_supersededHeartbeat', ARGV[2]) end
return 'LOST'`;

/**
 * A producer stands down: its lease (or its superseded entry) is removed, whatever the job's
 * status, so no heartbeat of a finished step lingers. KEYS: job hash. ARGV: token.
 */
export const RELEASE_LEASE = `
local job = redis.call('HMGET', KEYS[1], 'lease_holder', 'lease_superseded')
if job[1] == ARGV[1] then redis.call('HDEL', KEYS[1], 'lease_holder', 'lease_heartbeat') end
if job[2] == ARGV[1] then redis.call('HDEL', KEYS[1], 'lease_superseded', 'lease_supersededHeartbeat') end
return 1`;

/**
 * Fails a PENDING or PROCESSING job whose `deadlineAt` is before the given instant. ISO 8601
 * UTC instants of one length compare as text in time order. KEYS: job hash. ARGV: the
 * instant judged (ISO), the time written (ISO), error, error code. Returns 1 if it failed it.
 */
export const FAIL_IF_OVERDUE = `${ANNOUNCE}
local job = redis.call('HMGET', KEYS[1], 'status', 'deadlineAt')
if job[1] ~= 'PENDING' and job[1] ~= 'PROCESSING' then return 0 end
if not job[2] or job[2] >= ARGV[1] then return 0 end
redis.call('HSET', KEYS[1], 'status', 'FAILED', 'error', ARGV[3], 'errorCode', ARGV[4], 'updatedAt', ARGV[2], 'completedAt', ARGV[2])
announce(KEYS[1])
return 1`;
