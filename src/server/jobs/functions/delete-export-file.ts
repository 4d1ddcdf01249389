import { deleteExpiredFile } from "~/server/exports/manage-export";
import { exportFileCreated } from "~/server/jobs/events";
import { inngest } from "~/server/jobs/inngest-client";

/**
 * Deletes an export's file once its lifetime has passed: 60 seconds for a metric export,
 * the job's 7 days for a visit export. Deleting is idempotent, so a user who deleted the
 * job already, or a bucket lifecycle rule that got there first, changes nothing.
 *
 * A deletion that falls in a storage outage keeps trying: 20 retries (Inngest's most) on
 * Inngest's back-off, 15 s growing to 2 h between attempts, last about a day. Past that, the
 * storage sweep (sweep-export-storage.ts) deletes the file at its next pass.
 */
export const deleteExportFile = inngest.createFunction(
  { id: "delete-export-file", name: "Delete export file", triggers: [exportFileCreated], retries: 20 },
  async ({ event, step }) => {
    const { exportId, key, ttlSeconds } = event.data;
    await step.sleep(`wait ${ttlSeconds}s`, `${ttlSeconds}s`);
    await step.run("delete file", () => deleteExpiredFile(exportId, key));
    return { exportId, deleted: key };
  },
);
