import { z } from "zod";

import { defineCommand } from "../command";

export const applyLifecycleRule = defineCommand({
  name: "apply-lifecycle-rule",
  summary: "Expire export files in the bucket after N days, and abort abandoned uploads (a backstop for per-export deletion)",
  usage: "[--days <n>]",
  flags: { days: { type: "string" } },
  input: z.object({ days: z.coerce.number({ error: "--days must be a number" }).int().min(1).max(365).optional() }),
  async run({ days }) {
    const { getEnv } = await import("~/env");
    const { storageConfig } = await import("~/server/services");
    const { ABORT_INCOMPLETE_UPLOADS_AFTER_DAYS, EXPORTS_PREFIX, ObjectStorage } = await import("~/server/storage");
    // Only the bucket is configured here: no upload starts, so no Redis connection is needed.
    const storage = new ObjectStorage(storageConfig());
    // Files live as long as their job record at most; a day more keeps every live file.
    const expiry = days ?? Math.ceil(getEnv().EXPORT_JOB_TTL_SECONDS / 86_400) + 1;
    const outcome = await storage.applyLifecycleRule(expiry);
    const where = `${EXPORTS_PREFIX} in ${storage.bucket}`;
    return {
      json: { bucket: storage.bucket, prefix: EXPORTS_PREFIX, days: expiry, abortIncompleteUploadsAfterDays: ABORT_INCOMPLETE_UPLOADS_AFTER_DAYS, ...outcome },
      text: outcome.applied
        ? `Objects under ${where} now expire after ${expiry} day(s), and uploads left incomplete are aborted after ${ABORT_INCOMPLETE_UPLOADS_AFTER_DAYS} day(s)`
        : `The store refused the lifecycle rule for ${where}: ${outcome.reason}`,
    };
  },
});
