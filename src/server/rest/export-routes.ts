/**
 * The export-jobs REST API (DESIGN.md): thin handlers over src/server/exports, each behind
 * `teamRoute` for auth, membership and the one error shape. The queue they start and cancel
 * runs on is the engine's (src/server/jobs).
 */
import { z } from "zod";

import { AppError } from "~/server/errors";
import { fileOptionsFields, fileOptionsFrom, fileOptionsShape, refineFileOptions } from "~/server/exports/formats/file-options";
import type { ExportKindDefinition, ExportTarget } from "~/server/exports/kinds";
import { cancelExport, createDownloadLink, deleteExport, getExport, listExports, listResourceExports } from "~/server/exports/manage-export";
import { requestOutcomeEmail } from "~/server/exports/outcome-email/outcome-email";
import { startExportOf } from "~/server/exports/start-export";
import { countVisits } from "~/server/exports/visit-count";
import { wantsPage } from "~/server/http/error-page";
import { idSchema } from "~/server/ids";
import { inngestExportQueue } from "~/server/jobs/inngest-export-queue";
import { exportJobAnswer } from "~/server/rest/export-job-answer";
import { teamRoute } from "~/server/rest/handler";
import { readJsonBody } from "~/server/rest/request-body";

// Digits only: coercion would read "" as 0 and "1e2" as 100, and accept both silently.
const wholeNumber = z.string().regex(/^\d{1,9}$/, "must be a whole number").transform(Number);
export const listQuery = z.strictObject({
  limit: wholeNumber.pipe(z.number().min(1).max(100)).default(20),
  offset: wholeNumber.default(0),
});
export const jobQuery = z.strictObject({ download: z.enum(["true", "false"]).optional() });
/**
 * GET /api/v2/metric_files/:id/download's query: Buster's download menu's parameters and the
 * file's options, in one strict object, so any other parameter is refused by name and a new one
 * is a line here.
 */
export const metricDownloadQuery = z
  .strictObject({
    metric_version_number: wholeNumber.pipe(z.number().min(1, "must be 1 or more")).optional(),
    report_file_id: z.string().max(200).optional(),
    ...fileOptionsShape,
  })
  .superRefine(refineFileOptions);
export type MetricDownloadQuery = z.infer<typeof metricDownloadQuery>;
/** The file's format and compression may come in the query string, in the JSON body, or both if they agree. */
export const startExportQuery = z.strictObject(fileOptionsFields);
export const startExportBody = z.strictObject({ requestId: idSchema.optional(), ...fileOptionsFields });
/** Papermark's modal sends no body; an empty object is the same request. */
export const sendEmailBody = z.strictObject({});

/** Papermark's export modal lists this many of a resource's exports. */
const RESOURCE_EXPORTS_LIMIT = 10;

type KindPathParams = Record<string, string> & { teamId: string };

/** How a kind's REST path names its target: the path's parameters fill the kind's input. */
function pathTarget(kind: ExportKindDefinition): (params: Record<string, string>) => ExportTarget {
  const endpoint = kind.rest;
  if (!endpoint) throw new AppError("INTERNAL", `Exports of ${kind.id} have no REST endpoint`);
  return (params) => kind.target(kind.input.parse(Object.fromEntries(Object.entries(endpoint.params).map(([param, { field }]) => [field, params[param]]))));
}

/**
 * POST to a kind's REST endpoint (its `rest`, e.g. …/documents/:id/export-visits): `202 {
 * exportId }`. The path's parameters fill the kind's input; the query string or a JSON body
 * may name the file's format and compression, and the body carry a `requestId`.
 */
export function startExportRoute(kind: ExportKindDefinition) {
  const targetOf = pathTarget(kind);
  return teamRoute<KindPathParams, z.infer<typeof startExportQuery>>(
    async ({ req, params, query, caller }) => {
      const { requestId, ...bodyFile } = await readJsonBody(req, startExportBody);
      const file = fileOptionsFrom(query, bodyFile);
      const job = await startExportOf(inngestExportQueue, { userId: caller.userId, teamId: params.teamId, channel: "REST", requestId }, kind, targetOf(params), file);
      return Response.json({ exportId: job.id }, { status: 202 });
    },
    { query: startExportQuery },
  );
}

/**
 * GET on a kind's REST endpoint: the resource's latest exports, as Papermark's export modal
 * lists them on opening, a bare array, newest first, FAILED ones left out. The resource is
 * looked up as when starting an export, so another team's is a 404.
 */
export function resourceExportsRoute(kind: ExportKindDefinition) {
  const targetOf = pathTarget(kind);
  return teamRoute<KindPathParams>(async ({ params }) => {
    const target = targetOf(params);
    await kind.findResource(params.teamId, target);
    const jobs = await listResourceExports(params.teamId, kind.id, target, RESOURCE_EXPORTS_LIMIT);
    return Response.json(await Promise.all(jobs.map(exportJobAnswer)));
  });
}

export const viewsCountQuery = z.strictObject({ groupId: idSchema.optional() });

/**
 * GET …/views-count: `{ count }`, the views an export of `kind` would cover now. With
 * `groupKind`, Papermark's `?groupId=` counts that group's views instead.
 */
export function viewsCountRoute(kind: ExportKindDefinition, groupKind?: ExportKindDefinition) {
  const targetOf = pathTarget(kind);
  const group = groupKind && { kind: groupKind, targetOf: pathTarget(groupKind) };
  return teamRoute<KindPathParams, z.infer<typeof viewsCountQuery>>(
    async ({ params, query }) => {
      const count =
        query.groupId && group
          ? await countVisits(params.teamId, group.kind, group.targetOf({ ...params, groupId: query.groupId }))
          : await countVisits(params.teamId, kind, targetOf(params));
      return Response.json({ count });
    },
    { query: group ? viewsCountQuery : viewsCountQuery.pick({}) },
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

/** A browser that follows a download link is shown why there is no file, rather than saving the error as one. */
const isDownloadNavigation = (req: Request) => new URL(req.url).searchParams.get("download") === "true" && wantsPage(req.headers);

export const getExportJob = teamRoute<JobParams, z.infer<typeof jobQuery>>(
  async ({ params, query }) => {
    if (query.download !== "true") return Response.json(await exportJobAnswer(await getExport(params.teamId, params.exportId)));
    const link = await createDownloadLink(params.teamId, params.exportId);
    return new Response(null, { status: 302, headers: { Location: link.url, "Cache-Control": "no-store" } });
  },
  { query: jobQuery, errorPageFor: isDownloadNavigation },
);

export const cancelExportBody = z.strictObject({});

/** PATCH: cancels a PENDING or PROCESSING export, as Papermark's Cancel button asks; 409 for any other. */
export const cancelExportJob = teamRoute<JobParams>(async ({ req, params, caller, role }) => {
  await readJsonBody(req, cancelExportBody);
  const job = await cancelExport(inngestExportQueue, { userId: caller.userId, teamId: params.teamId, role }, params.exportId);
  return Response.json({ message: "The export was cancelled", job: await exportJobAnswer(job) });
});

export const deleteExportJob = teamRoute<JobParams>(async ({ params, caller, role }) => {
  await deleteExport(inngestExportQueue, { userId: caller.userId, teamId: params.teamId, role }, params.exportId);
  return new Response(null, { status: 204 });
});

/**
 * Papermark's "Email to …": `202 { exportId, email, message }`. The caller's own address gets
 * an email when the running export ends, with the download link or the reason it failed.
 */
export const sendExportEmail = teamRoute<JobParams>(async ({ req, params, caller }) => {
  await readJsonBody(req, sendEmailBody);
  const job = await requestOutcomeEmail(inngestExportQueue, { userId: caller.userId, teamId: params.teamId }, params.exportId, new URL(req.url).origin);
  const message = `An email will go to ${job.email?.to} when the export ends`;
  return Response.json({ exportId: job.id, email: job.email, message }, { status: 202 });
});
