import { downloadMetricFile } from "~/server/exports/download-metric-file";
import { methodNotAllowed } from "~/server/http/error-response";
import { inngestExportQueue } from "~/server/jobs/inngest-export-queue";
import { type MetricDownloadQuery, metricDownloadQuery } from "~/server/rest/export-routes";
import { authedRoute } from "~/server/rest/handler";

// The export may take up to two minutes before this answers.
export const maxDuration = 150;
export const dynamic = "force-dynamic";

// Next would answer HEAD with GET, which starts an export: a link checker must not.
export const HEAD = methodNotAllowed(["GET"]);

export const GET = authedRoute<{ id: string }, MetricDownloadQuery>(
  async ({ req, params, query, caller }) => {
    const { metric_version_number: metricVersionNumber, report_file_id: reportFileId, ...file } = query;
    return Response.json(await downloadMetricFile(inngestExportQueue, caller, { metricId: params.id, metricVersionNumber, reportFileId }, file, req.signal));
  },
  { query: metricDownloadQuery },
);
