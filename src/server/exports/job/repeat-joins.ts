/**
 * Repeated starts join the export they repeat (Buster's server does the same for its download
 * menu): the same user asking for the same export, with the same options, while it runs or
 * while its file lives, gets that export rather than a second run.
 *
 *   export_join:<sha256 of the canonical start request>   STRING  the export id, with a TTL
 *
 * What a start request is, is its caller's: the key is a hash of its canonical JSON (RFC 8785),
 * so every field of it, including ones added later, must match for a repeat to join.
 *
 * The entry only names a candidate. Whether to join is decided by that export's job record:
 * running, or COMPLETED with a file still there. An entry whose export failed, was cancelled,
 * lost its file or vanished is replaced by the next start, atomically, so two app processes
 * that meet it at once end up on the same new export. Settling a failed or cancelled export
 * removes its entry too (settle-export.ts), and every entry expires on its own.
 */
import { createHash } from "node:crypto";

import type { Redis } from "@upstash/redis";
import canonicalize from "canonicalize";

import { AppError } from "~/server/errors";

import type { ExportJob } from "./export-job";

type Json = string | number | boolean | null | Json[] | { [key: string]: Json | undefined };

/** Sets the entry to ARGV[1] when it is unset or still names ARGV[3]; answers whom it names then. */
const CLAIM = `
local current = redis.call('GET', KEYS[1])
if not current or current == ARGV[3] then
  redis.call('SET', KEYS[1], ARGV[1], 'EX', tonumber(ARGV[2]))
  return ARGV[1]
end
return current
`;

/** Deletes the entry only while it still names ARGV[1]: a later export's entry stays. */
const RELEASE = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
`;

/** How long a start waits for the record of an export that another process has just claimed. */
const CREATION_GRACE_MS = 3_000;
const CREATION_POLL_MS = 100;

export type JoinOutcome = { joined: ExportJob } | { claimed: string };

export class RepeatJoins {
  private readonly scripts;

  constructor(private readonly redis: Redis) {
    this.scripts = { claim: redis.createScript<string>(CLAIM), release: redis.createScript<number>(RELEASE) };
  }

  /** The entry's key for a start request: the same for any two requests that are the same JSON. */
  static keyOf(request: { [key: string]: Json | undefined }): string {
    const text = canonicalize(request);
    if (text === undefined) throw new AppError("INTERNAL", "The start request has no JSON form");
    return `export_join:${createHash("sha256").update(text).digest("hex")}`;
  }

  /**
   * Claims `key` for the new export `id`, or names the export to join instead. `readJob`
   * reads a job record, and `joinable` says whether a repeat may join that job.
   */
  async claimOrJoin(
    key: string,
    id: string,
    ttlSeconds: number,
    readJob: (id: string) => Promise<ExportJob | null>,
    joinable: (job: ExportJob) => boolean,
  ): Promise<JoinOutcome> {
    let replacing = "";
    // Each turn either settles or replaces an entry that was dead; a few are plenty even
    // when several processes replace the same one at once.
    for (let turn = 0; turn < 5; turn++) {
      const holder = await this.scripts.claim.exec([key], [id, String(ttlSeconds), replacing]);
      if (holder === id) return { claimed: id };
      const job = await this.awaitRecord(holder, readJob);
      if (job && joinable(job)) return { joined: job };
      replacing = holder;
    }
    throw new AppError("CONFLICT", "Starting this export raced with others too often; please try again");
  }

  /** Removes `key` if it still names export `id`. */
  async release(key: string, id: string): Promise<void> {
    await this.scripts.release.exec([key], [id]);
  }

  /** The holder's record; a process that claimed the entry a moment ago may be still creating it. */
  private async awaitRecord(id: string, readJob: (id: string) => Promise<ExportJob | null>): Promise<ExportJob | null> {
    const deadline = Date.now() + CREATION_GRACE_MS;
    for (;;) {
      const job = await readJob(id);
      if (job || Date.now() >= deadline) return job;
      await new Promise((resolve) => setTimeout(resolve, CREATION_POLL_MS));
    }
  }
}
