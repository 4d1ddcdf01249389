/**
 * The multipart uploads this app has started and not yet completed or aborted, in a Redis
 * sorted set scored by start time, so that the storage sweep can abort the ones a killed
 * process or a storage outage left behind.
 *
 * S3 and R2 can list open uploads themselves (ListMultipartUploads), but s3rver 3.7.1, the
 * store of development and the tests, answers NotImplemented; an index of our own works the
 * same on every store. There is one index per bucket, so that deployments sharing a Redis
 * never abort each other's uploads. An upload is recorded as soon as the store gives its id, before the
 * first part; a process that dies in between leaves it to the bucket lifecycle rule's
 * AbortIncompleteMultipartUpload.
 */
import type { Redis } from "@upstash/redis";
import { z } from "zod";

export type OpenUpload = { key: string; uploadId: string };

/** Members are `[key, uploadId]` as JSON; the client parses them back into arrays. */
const member = z.tuple([z.string(), z.string()]);

export class OpenUploadIndex {
  private readonly key: string;

  constructor(
    private readonly redis: Redis,
    bucket: string,
  ) {
    this.key = `export_storage:open_uploads:${bucket}`;
  }

  async add(upload: OpenUpload, startedAt: Date): Promise<void> {
    await this.redis.zadd(this.key, { score: startedAt.getTime(), member: [upload.key, upload.uploadId] });
  }

  async remove(upload: OpenUpload): Promise<void> {
    await this.redis.zrem(this.key, [upload.key, upload.uploadId]);
  }

  /** The uploads still open to `key`: a settled export's leftovers, whoever started them. */
  async forKey(key: string): Promise<OpenUpload[]> {
    const found: OpenUpload[] = [];
    let cursor: string | number = 0;
    do {
      // Members are JSON, so every upload to `key` starts with `["<key>",`, glob characters escaped.
      const prefix = `${JSON.stringify([key]).slice(0, -1)},`.replace(/[[\]*?\\]/g, "\\$&");
      const [next, page]: [string | number, unknown[]] = await this.redis.zscan(this.key, cursor, { match: `${prefix}*`, count: 100 });
      for (const [i, raw] of page.entries()) {
        // ZSCAN answers member, score, member, score…
        if (i % 2) continue;
        const parsed = member.safeParse(typeof raw === "string" ? JSON.parse(raw) : raw);
        if (parsed.success && parsed.data[0] === key) found.push({ key, uploadId: parsed.data[1] });
      }
      cursor = next;
    } while (String(cursor) !== "0");
    return found;
  }

  /** Uploads started at or before `cutoff`, oldest first, at most `limit`. */
  async startedBefore(cutoff: Date, limit: number): Promise<OpenUpload[]> {
    const members = await this.redis.zrange<unknown[]>(this.key, "-inf", cutoff.getTime(), { byScore: true, offset: 0, count: limit });
    return members.flatMap((raw) => {
      const parsed = member.safeParse(raw);
      return parsed.success ? [{ key: parsed.data[0], uploadId: parsed.data[1] }] : [];
    });
  }
}
