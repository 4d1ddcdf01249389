/**
 * The export-jobs REST API (DESIGN.md): thin handlers over src/server/exports, each behind
 * `teamRoute` for auth, membership and the one error shape. The queue they start and cancel
 * runs on is the engine's (src/server/jobs).
 */
import { z } from "zod";

import { AppError } from "~/server/errors";
import { fileOptionsFields, fileOptionsFrom, fileOptionsShape, refineFileOptions } from "~/server/exports/formats/file-options";
import type { ExportKindDefinition } from "~/server/exports/kinds";
import { createDownloadLink, deleteExport, getExport, listExports } from "~/server/exports/manage-export";
import { startExportOf } from "~/server/exports/start-export";
import { idSchema } from "~/server/ids";
import { inngestExportQueue } from "~/server/jobs/inngest-export-queue";
import { teamRoute } from "~/server/rest/handler";
import { readJsonBody } from "~/server/rest/request-body";

// Digits only: coercion would read "" as 0 and "1e2" as 100, and accept both silently.
const wholeNumber = z.string().regex(/^\d{1,9}$/, "must be a whole number").transform(Number);
export const listQuery = z.strictObject({
  limit: wholeNumber.pipe(z.number().min(1).max(100)).default(20),
  offset: wholeNumber.default(0),
});
/** GET /api/v2/metric_files/:id/download: what the file is to be. */
export const metricDownloadQuery = z.strictObject(fileOptionsShape).superRefine(refineFileOptions);
export const jobQuery = z.strictObject({ download: z.enum(["true", "false"]).optional() });
/** The file's format and compression may come in the query string, in the JSON body, or both if they agree. */
export const startExportQuery = z.strictObject(fileOptionsFields);
export const startExportBody = z.strictObject({ requestId: idSchema.optional(), ...fileOptionsFields });

/**
 * POST to a kind's REST endpoint (its `rest`, e.g. …/documents/:id/export-visits): `202 {
 * exportId }`. The path's parameters fill the kind's input; the query string or a JSON body
 * may name the file's format and compression, and the body carry a `requestId`.
 */
export function startExportRoute(kind: ExportKindDefinition) {
  const endpoint = kind.rest;
  if (!endpoint) throw new AppError("INTERNAL", `Exports of ${kind.id} have no REST endpoint`);
  return teamRoute<Record<string, string> & { teamId: string }, z.infer<typeof startExportQuery>>(
    async ({ req, params, query, caller }) => {
      const { requestId, ...bodyFile } = await readJsonBody(req, startExportBody);
      const file = fileOptionsFrom(query, bodyFile);
      const input = kind.input.parse(Object.fromEntries(Object.entries(endpoint.params).map(([param, { field }]) => [field, params[param]])));
      const job = await startExportOf(inngestExportQueue, { userId: caller.userId, teamId: params.teamId, channel: "REST", requestId }, kind, kind.target(input), file);
      return Response.json({ exportId: job.id }, { status: 202 });
    },
    { query: startExportQuery },
  );
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
  await deleteExport(inngestExportQueue, { userId: caller.userId, teamId: params.teamId, role }, params.exportId);
  return new Response(null, { status: 204 });
});
