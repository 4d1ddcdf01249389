/**
 * The events that drive exports, typed once here and shared by the senders (src/server/exports)
 * and the functions (src/server/jobs/functions). Names follow `scope/noun.verb`.
 */
import { eventType } from "inngest";
import { z } from "zod";

const requester = {
  exportId: z.string(),
  teamId: z.string(),
  userId: z.string(),
};

export const metricExportRequested = eventType("export/metric.requested", {
  schema: z.object({ ...requester, metricId: z.string() }),
});

export const visitExportRequested = eventType("export/visits.requested", {
  schema: z.object({
    ...requester,
    kind: z.enum(["document", "dataroom", "dataroom-group"]),
    resourceId: z.string(),
    groupId: z.string().optional(),
  }),
});

/** Sent when a user cancels; every export function is `cancelOn` this, matched by exportId. */
export const exportCancelRequested = eventType("export/cancel.requested", {
  schema: z.object({ exportId: z.string() }),
});

/** A finished export's file, to be deleted once its lifetime has passed. */
export const exportFileCreated = eventType("export/file.created", {
  schema: z.object({ exportId: z.string(), key: z.string(), ttlSeconds: z.number().int().positive() }),
});
