/**
 * The backstop that leaves nothing in storage: whatever the per-export clean-up missed (a
 * deletion run that gave up during a long outage, a process killed mid-upload, a job record
 * that expired first) goes here, judged by the bucket alone.
 *
 * - An object under `exports/` goes once it is older than the lifetime its key records
 *   (`newExportKey`), plus a grace period: the deletion run deletes it at its lifetime, and
 *   the sweep must not take a file whose last link is still valid. A key without a lifetime
 *   gets the longest one a file may have.
 * - A multipart upload in the open-upload index goes once it has been open longer than any
 *   export may run.
 *
 * `now` is a parameter, so that a test can sweep as if hours had passed.
 */
import { log } from "~/server/log";

import { EXPORTS_PREFIX, lifetimeOfExportKey } from "./file-names";
import type { ObjectStorage } from "./object-storage";
import type { OpenUploadIndex } from "./open-upload-index";

export type SweepPolicy = {
  now: Date;
  /** For keys that record no lifetime: the longest a file may live. */
  defaultLifetimeSeconds: number;
  /** Added to every lifetime before the sweep deletes a file. */
  graceSeconds: number;
  /** An upload open this long belongs to a run that is over. */
  maxUploadAgeSeconds: number;
};

export type SweepReport = { deletedObjects: number; abortedUploads: number };

/** Uploads aborted per sweep at most; the rest wait for the next one. */
const UPLOADS_PER_SWEEP = 500;

export async function sweepExportStorage(storage: ObjectStorage, openUploads: OpenUploadIndex, policy: SweepPolicy): Promise<SweepReport> {
  const now = policy.now.getTime();
  let deletedObjects = 0;
  for await (const object of storage.listObjects(EXPORTS_PREFIX)) {
    const lifetimeSeconds = lifetimeOfExportKey(object.key) ?? policy.defaultLifetimeSeconds;
    if (object.lastModified.getTime() + (lifetimeSeconds + policy.graceSeconds) * 1000 > now) continue;
    await storage.deleteObject(object.key);
    deletedObjects += 1;
  }

  let abortedUploads = 0;
  const stale = await openUploads.startedBefore(new Date(now - policy.maxUploadAgeSeconds * 1000), UPLOADS_PER_SWEEP);
  for (const upload of stale) {
    if (await storage.abortUpload(upload)) abortedUploads += 1;
    await openUploads.remove(upload);
  }

  if (deletedObjects > 0 || abortedUploads > 0) log("info", "storage.swept", { deletedObjects, abortedUploads });
  return { deletedObjects, abortedUploads };
}
