/**
 * The export-jobs REST API (DESIGN.md): thin handlers over src/server/exports, each behind
 * `teamRoute` for auth, membership and the one error shape.
 */
import { z } from "zod";

import { AppError } from "~/server/errors";
import { createDownloadLink, deleteExport, getExport, listExports } from "~/server/exports/manage-export";
import { startVisitExport, type VisitTarget } from "~/server/exports/start-export";
import { teamRoute } from "~/server/rest/handler";

const listQuery = z.strictObject({
  limit: z.coerce.number().int().min(1).max(100).default(20),
  offset: z.coerce.number().int().min(0).default(0),
});
const jobQuery = z.strictObject({ download: z.enum(["true", "false"]).optional() });
const idParam = z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, "is not a valid id");

function parseJson(text: string): unknown {
  if (!text.trim()) return {};
  try {
    return JSON.parse(text);
  } catch {
    throw new AppError("BAD_REQUEST", "The request body is not valid JSON");
  }
}

function query(req: Request): Record<string, string> {
  return Object.fromEntries(new URL(req.url).searchParams);
}

/** POST …/export-visits: `{ exportId }`. A JSON body, when sent, may carry a `requestId`. */
export function visitExportRoute<P extends { teamId: string }>(target: (params: P) => VisitTarget) {
  return teamRoute<P>(async ({ req, params, caller }) => {
    const text = await req.text();
    if (text.length > 10_000) throw new AppError("PAYLOAD_TOO_LARGE", "The request body is too large");
    const body = z.strictObject({ requestId: z.string().min(1).max(64).optional() }).parse(parseJson(text));
    for (const value of Object.values(params)) idParam.parse(value);
    const job = await startVisitExport(
      { userId: caller.userId, teamId: params.teamId, channel: "REST", requestId: body.requestId },
      target(params),
    );
    return Response.json({ exportId: job.id }, { status: 202 });
  });
}

export const listExportJobs = teamRoute<{ teamId: string }>(async ({ req, params }) => {
  const page = listQuery.parse(query(req));
  const { items, total, nextOffset } = await listExports(params.teamId, page);
  return Response.json({ jobs: items, total, nextOffset });
});

type JobParams = { teamId: string; exportId: string };

export const getExportJob = teamRoute<JobParams>(async ({ req, params }) => {
  const { download } = jobQuery.parse(query(req));
  idParam.parse(params.exportId);
  if (download !== "true") return Response.json(await getExport(params.teamId, params.exportId));
  const link = await createDownloadLink(params.teamId, params.exportId);
  return new Response(null, { status: 302, headers: { Location: link.url, "Cache-Control": "no-store" } });
});

export const deleteExportJob = teamRoute<JobParams>(async ({ params }) => {
  idParam.parse(params.exportId);
  await deleteExport(params.teamId, params.exportId);
  return new Response(null, { status: 204 });
});
