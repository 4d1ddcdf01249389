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

/**
 * Creates a job unless its id exists (a double submit returns 0), and indexes it by team and
 * by user, pruning index entries older than the record's lifetime on the way.
 * KEYS: job hash, team set, user set. ARGV: ttl seconds, score (ms), prune-before (ms), id,
 * then field/value pairs.
 */
export const CREATE_JOB = `
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
redis.call('HSET', KEYS[1], unpack(ARGV, 5))
redis.call('EXPIRE', KEYS[1], ARGV[1])
for k = 2, 3 do
  redis.call('ZREMRANGEBYSCORE', KEYS[k], '-inf', '(' .. ARGV[3])
  redis.call('ZADD', KEYS[k], ARGV[2], ARGV[4])
  redis.call('EXPIRE', KEYS[k], ARGV[1])
end
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
export const UPDATE_IF_STATUS = `
local status = redis.call('HGET', KEYS[1], 'status')
if not status then return nil end
if not string.find(',' .. ARGV[1] .. ',', ',' .. status .. ',', 1, true) then return 'REFUSED:' .. status end
if #ARGV > 2 then redis.call('HSET', KEYS[1], unpack(ARGV, 3)) end
for field in string.gmatch(ARGV[2], '[^,]+') do redis.call('HDEL', KEYS[1], field) end
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
