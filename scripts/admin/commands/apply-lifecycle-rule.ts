import { z } from "zod";

import { defineCommand } from "../command";

export const applyLifecycleRule = defineCommand({
  name: "apply-lifecycle-rule",
  summary: "Expire export files in the bucket after N days (a backstop for per-export deletion)",
  usage: "[--days <n>]",
  flags: { days: { type: "string" } },
  input: z.object({ days: z.coerce.number({ error: "--days must be a number" }).int().min(1).max(365).optional() }),
  async run({ days }) {
    const { getEnv } = await import("~/env");
    const { getStorage } = await import("~/server/services");
    const { EXPORTS_PREFIX } = await import("~/server/storage");
    // Files live as long as their job record at most; a day more keeps every live file.
    const expiry = days ?? Math.ceil(getEnv().EXPORT_JOB_TTL_SECONDS / 86_400) + 1;
    const outcome = await getStorage().applyLifecycleRule(expiry);
    const where = `${EXPORTS_PREFIX} in ${getStorage().bucket}`;
    return {
      json: { bucket: getStorage().bucket, prefix: EXPORTS_PREFIX, days: expiry, ...outcome },
      text: outcome.applied
        ? `Objects under ${where} now expire after ${expiry} day(s)`
        : `The store refused the lifecycle rule for ${where}: ${outcome.reason}`,
    };
  },
});
