import { exportLimits } from "~/server/exports/export-limits";
import { inngest } from "~/server/jobs/inngest-client";
import { getOpenUploads, getStorage } from "~/server/services";
import { sweepExportStorage } from "~/server/storage";

/**
 * An upload lives no longer than its run, and the longest run is a visit export's 15
 * minutes; twice that leaves room for a slow abort and for clocks that disagree.
 */
const MAX_UPLOAD_AGE_SECONDS = 30 * 60;

/**
 * Past a file's lifetime the deletion run has had its turn, and a link minted at the last
 * moment lives EXPORT_LINK_TTL_SECONDS more; five minutes cover the gap between the upload
 * (the object's date) and the job's completion (the file's expiry).
 */
const GRACE_AFTER_LINK_SECONDS = 5 * 60;

/**
 * Every five minutes, deletes expired export files and aborts abandoned uploads
 * (storage/sweep-export-storage.ts). Its storage calls are retried by the SDK; a sweep that
 * fails all the same is the next one's to do, so the run is not retried.
 */
export const exportStorageSweep = inngest.createFunction(
  { id: "sweep-export-storage", name: "Sweep export storage", triggers: [{ cron: "*/5 * * * *" }], retries: 0, concurrency: { limit: 1 } },
  async ({ step }) =>
    step.run("sweep storage", () => {
      const limits = exportLimits();
      return sweepExportStorage(getStorage(), getOpenUploads(), {
        now: new Date(),
        defaultLifetimeSeconds: Math.max(limits.jobTtlSeconds, limits.metricFileTtlSeconds),
        graceSeconds: limits.linkTtlSeconds + GRACE_AFTER_LINK_SECONDS,
        maxUploadAgeSeconds: MAX_UPLOAD_AGE_SECONDS,
      });
    }),
);
