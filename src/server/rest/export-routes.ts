/**
 * The export-jobs REST API (DESIGN.md): thin handlers over src/server/exports, each behind
 * `teamRoute` for auth, membership and the one error shape.
 */
import { z } from "zod";

import { createDownloadLink, deleteExport, getExport, listExports } from "~/server/exports/manage-export";
import { startVisitExport, type VisitTarget } from "~/server/exports/start-export";
import { teamRoute } from "~/server/rest/handler";
import { readJsonBody } from "~/server/rest/request-body";
import { idSchema } from "~/server/ids";

// Digits only: coercion would read "" as 0 and "1e2" as 100, and accept both silently.
const wholeNumber = z.string().regex(/^\d{1,9}$/, "must be a whole number").transform(Number);
export const listQuery = z.strictObject({
  limit: wholeNumber.pipe(z.number().min(1).max(100)).default(20),
  offset: wholeNumber.default(0),
});
export const jobQuery = z.strictObject({ download: z.enum(["true", "false"]).optional() });
export const visitExportBody = z.strictObject({ requestId: idSchema.optional() });

/** POST …/export-visits: `{ exportId }`. A JSON body, when sent, may carry a `requestId`. */
export function visitExportRoute<P extends { teamId: string }>(target: (params: P) => VisitTarget) {
  return teamRoute<P>(async ({ req, params, caller }) => {
    const body = await readJsonBody(req, visitExportBody);
    const job = await startVisitExport(
      { userId: caller.userId, teamId: params.teamId, channel: "REST", requestId: body.requestId },
      target(params),
    );
    return Response.json({ exportId: job.id }, { status: 202 });
  });
}

export const listExportJobs = teamRoute<{ teamId: string }, z.infer<typeof listQuery>>(
  async ({ params, query }) => {
    const { items, total, nextOffset } = await listExports(params.teamId, query);
    return Response.json({ jobs: items, total, nextOffset });
  },
  { query: listQuery },
);

type JobParams = { teamId: string; exportId: string };

export const getExportJob = teamRoute<JobParams, z.infer<typeof jobQuery>>(
  async ({ params, query }) => {
    if (query.download !== "true") return Response.json(await getExport(params.teamId, params.exportId));
    const link = await createDownloadLink(params.teamId, params.exportId);
    return new Response(null, { status: 302, headers: { Location: link.url, "Cache-Control": "no-store" } });
  },
  { query: jobQuery },
);

export const deleteExportJob = teamRoute<JobParams>(async ({ params, caller, role }) => {
  await deleteExport({ userId: caller.userId, teamId: params.teamId, role }, params.exportId);
  return new Response(null, { status: 204 });
});
