/**
 * The OpenAPI 3.1 description of the REST API, served at /api/openapi.json. Request schemas
 * come from the routes' own zod schemas (and the job record's), and the limits it states from
 * the configuration, so the document cannot drift from what is validated or enforced;
 * tests/openapi.test.ts checks real answers against it.
 */
import { z } from "zod";

import { durationInWords } from "~/server/durations";
import { errorCodes } from "~/server/errors";
import { exportLimits } from "~/server/exports/export-limits";
import { idSchema } from "~/server/ids";
import { exportJobSchema } from "~/server/exports/job/export-job";
import { formatChoices } from "~/server/exports/formats";
import { allKindDefinitions } from "~/server/exports/kinds";
import { jobQuery, listQuery, metricDownloadQuery, startExportBody, startExportQuery } from "~/server/rest/export-routes";
import { MAX_BODY_BYTES } from "~/server/rest/request-body";

type Schema = Record<string, unknown>;

/** A zod schema as a JSON Schema to embed (without its own `$schema`). */
function jsonSchema(schema: z.ZodType, io: "input" | "output"): Schema {
  const { $schema: _, ...rest } = z.toJSONSchema(schema, { io }) as Schema;
  return rest;
}

const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });
const errorRef = (name: string) => ({ $ref: `#/components/responses/${name}` });
const json = (schema: Schema) => ({ "application/json": { schema } });

/** The configured limits as the document words them. */
function limitTexts() {
  const limits = exportLimits();
  const mib = limits.maxBytes / (1024 * 1024);
  return {
    linkLifetime: durationInWords(limits.linkTtlSeconds, "en"),
    wait: durationInWords(limits.restWaitMs / 1000, "en"),
    rows: `${limits.maxRows.toLocaleString("en")} rows`,
    bytes: Number.isInteger(mib) ? `${mib} MB` : `${limits.maxBytes.toLocaleString("en")} bytes`,
    visitFileLifetime: durationInWords(limits.jobTtlSeconds, "en"),
  };
}
type LimitTexts = ReturnType<typeof limitTexts>;

const schemas = (text: LimitTexts): Record<string, Schema> => ({
  ExportJob: jsonSchema(exportJobSchema, "output"),
  ExportJobList: {
    type: "object",
    required: ["jobs", "total", "nextOffset"],
    properties: {
      jobs: { type: "array", items: ref("ExportJob"), description: "Newest first." },
      total: { type: "integer", minimum: 0 },
      nextOffset: { type: ["integer", "null"], description: "The offset of the next page, or null on the last one." },
    },
  },
  ExportCreated: {
    type: "object",
    required: ["exportId"],
    properties: { exportId: { type: "string", description: "Poll /api/teams/{teamId}/export-jobs/{exportId} for its status." } },
  },
  MetricDownload: {
    type: "object",
    required: ["downloadUrl", "expiresAt", "fileSize", "fileName", "rowCount", "truncated", "exportId", "message"],
    properties: {
      downloadUrl: { type: "string", format: "uri", description: `Presigned for ${text.linkLifetime} from the moment of the answer, or less when the file is deleted sooner.` },
      expiresAt: { type: "string", format: "date-time", description: "When the link stops working; never later than the file's deletion." },
      fileSize: { type: "integer", minimum: 0, description: "Bytes." },
      fileName: { type: "string", description: "`<metric name made safe>_<unix time>.<extension>`: the format's extension, then `.gz` when compressed (`.csv`, `.csv.gz`)." },
      rowCount: { type: "integer", minimum: 0 },
      truncated: { type: "boolean", description: `True when the cap of ${text.rows} cut the result; the file ends at the cap.` },
      exportId: { type: "string" },
      message: { type: "string" },
    },
  },
  Error: {
    type: "object",
    required: ["error"],
    properties: {
      error: {
        type: "object",
        required: ["code", "message"],
        properties: {
          code: { type: "string", enum: Object.keys(errorCodes).map((code) => code.toLowerCase()) },
          message: { type: "string", description: "For a failed query, the database's own message (never credentials)." },
          issues: {
            type: "array",
            description: "For invalid input: each problem, with the path of the field it concerns.",
            items: { type: "object", required: ["path", "message"], properties: { path: { type: "string" }, message: { type: "string" } } },
          },
          exportId: { type: "string", description: "The export concerned, e.g. on a 504 it can be fetched later." },
          status: { type: "string", description: "The job's status, when it explains the error." },
          statusUrl: { type: "string", description: "Where to follow an export that outlasted the wait." },
          limitBytes: { type: "integer", description: "The body size limit, on a 413." },
          retryAfterSeconds: { type: "integer", description: "On a 429: when to try again." },
        },
        additionalProperties: true,
      },
    },
  },
});

const rateLimitHeaders = {
  "Retry-After": { description: "Seconds until the next call may pass.", schema: { type: "integer" } },
  "X-RateLimit-Limit": { description: "Calls allowed in the window.", schema: { type: "integer" } },
  "X-RateLimit-Remaining": { description: "Calls left in the window.", schema: { type: "integer" } },
  "X-RateLimit-Reset": { description: "When the window resets, in Unix seconds.", schema: { type: "integer" } },
};

const errorResponse = (description: string, headers?: Schema) => ({ description, content: json(ref("Error")), ...(headers ? { headers } : {}) });

const responses = (text: LimitTexts): Record<string, Schema> => ({
  BadRequest: errorResponse("Invalid input (`bad_request`, with `issues` naming each field), or for the metric download a failed query (`query_failed`, with the database's message)."),
  Unauthorized: errorResponse("No API token, or one that is invalid, revoked or expired."),
  Forbidden: errorResponse("The token's user is not a member of this team."),
  NotFound: errorResponse("No such resource in this team."),
  MethodNotAllowed: errorResponse("Refused method.", { Allow: { schema: { type: "string" } } }),
  Conflict: errorResponse("The export is not in a state that allows this (e.g. its file is not ready, or it was cancelled)."),
  PayloadTooLarge: errorResponse(`The request body is over ${MAX_BODY_BYTES} bytes (\`payload_too_large\`), or the export's file over its size cap (\`file_too_large\`).`),
  RateLimited: errorResponse("Too many calls: per token on the whole API, and per user and per team when starting exports.", rateLimitHeaders),
  Internal: errorResponse("Something failed on the server's side; nothing was left half-done."),
  UpstreamUnavailable: errorResponse("The metric's data source (`upstream_unavailable`) or the file storage (`storage_unavailable`) could not be reached."),
  StorageUnavailable: errorResponse("The file storage could not be reached (`storage_unavailable`); try again shortly."),
  Timeout: errorResponse(`The export outlasted the wait of ${text.wait}. It goes on: \`exportId\` and \`statusUrl\` say where to fetch it.`),
});

const pathId = (name: string, description: string) => ({ name, in: "path", required: true, description, schema: jsonSchema(idSchema, "input") });
const teamId = pathId("teamId", "The team's id.");

/** Query parameters from a route's strict zod object. */
function queryParameters(schema: z.ZodObject, descriptions: Record<string, string>) {
  const properties = (jsonSchema(schema, "input").properties ?? {}) as Record<string, Schema>;
  return Object.entries(properties).map(([name, property]) => ({ name, in: "query", required: false, description: descriptions[name], schema: property }));
}

/** What an unknown or refused value answers; each field's own description (file-options.ts) says what it takes. */
const fileOptionDescriptions = {
  format: "The file's format. Anything else is a 400 that lists the formats.",
  compression: "`gzip`, for the formats that take it; on any other format a 400.",
};

const common = { "401": errorRef("Unauthorized"), "403": errorRef("Forbidden"), "429": errorRef("RateLimited"), "500": errorRef("Internal") };

const metricDownload = (text: LimitTexts) => ({
  get: {
    operationId: "downloadMetricFile",
    summary: "Export a metric and get a short-lived download link",
    description:
      `Starts an export of the metric, waits for it (${text.wait} at most) and answers with a link presigned for ${text.linkLifetime}, or less when the file is deleted sooner. ` +
      `A slower export answers 504 with its \`exportId\`, and goes on. At most ${text.rows} (\`truncated\` says when the file was cut) and ${text.bytes}.`,
    tags: ["Metric exports"],
    parameters: [pathId("id", "The metric's id."), ...queryParameters(metricDownloadQuery, fileOptionDescriptions)],
    responses: {
      "200": { description: "The file is ready.", content: json(ref("MetricDownload")) },
      "400": errorRef("BadRequest"),
      ...common,
      "404": errorRef("NotFound"),
      "409": errorRef("Conflict"),
      "413": errorRef("PayloadTooLarge"),
      "502": errorRef("UpstreamUnavailable"),
      "504": errorRef("Timeout"),
    },
  },
  head: {
    operationId: "headMetricFile",
    summary: "Refused: a HEAD would start an export",
    tags: ["Metric exports"],
    parameters: [pathId("id", "The metric's id.")],
    responses: { "405": errorRef("MethodNotAllowed") },
  },
});

function visitExport(text: LimitTexts, operationId: string, summary: string, ids: Schema[]) {
  return {
    post: {
      operationId,
      summary,
      description: `Starts the export in the background and answers at once. The file is kept for the job's lifetime (${text.visitFileLifetime}).`,
      tags: ["Visit exports"],
      parameters: [teamId, ...ids, ...queryParameters(startExportQuery, fileOptionDescriptions)],
      requestBody: {
        required: false,
        description:
          `Optional. \`requestId\` makes a retried request reach the same export; \`format\` and \`compression\` may be given here instead of in the query ` +
          `(in both only with the same value). At most ${MAX_BODY_BYTES} bytes.`,
        content: json(jsonSchema(startExportBody, "input")),
      },
      responses: {
        "202": { description: "The export was started.", content: json(ref("ExportCreated")) },
        "400": errorRef("BadRequest"),
        ...common,
        "404": errorRef("NotFound"),
        "413": errorRef("PayloadTooLarge"),
      },
    },
  };
}

/** Built for each request, so that it states the limits as this deployment configures them. */
export function openApiDocument() {
  const text = limitTexts();
  const download = metricDownload(text);
  return {
    openapi: "3.1.0",
    info: {
      title: "Export Center REST API",
      version: "2",
      description:
        `Export metrics and visit analytics as ${formatChoices().map((format) => format.label).join(", ")} (\`format\`), optionally compressed (\`compression\`). ` +
        "Authenticate with an API token: `Authorization: Bearer ec_…`. " +
        "Every error has the same shape: `{ error: { code, message, … } }`.",
    },
    servers: [{ url: "/" }],
    security: [{ apiToken: [] }],
    tags: [{ name: "Metric exports" }, { name: "Visit exports" }, { name: "Export jobs" }],
    paths: {
      "/api/v2/metric_files/{id}/download": download,
      "/api/v2/metrics/{id}/download": {
        get: { ...download.get, operationId: "downloadMetricFileAlias", description: `The original API's path for the same endpoint. ${download.get.description}` },
        head: { ...download.head, operationId: "headMetricFileAlias" },
      },
      // Each kind's own endpoint, as its definition describes it (src/server/exports/kinds).
      ...Object.fromEntries(
        allKindDefinitions.flatMap(({ rest }) =>
          rest ? [[rest.path, visitExport(text, rest.operationId, rest.summary, Object.entries(rest.params).map(([name, param]) => pathId(name, param.description)))]] : [],
        ),
      ),
      "/api/teams/{teamId}/export-jobs": {
        get: {
          operationId: "listExportJobs",
          summary: "List the team's export jobs, newest first",
          tags: ["Export jobs"],
          parameters: [teamId, ...queryParameters(listQuery, { limit: "Jobs per page, 1 to 100 (20).", offset: "Jobs to skip (0)." })],
          responses: { "200": { description: "A page of jobs.", content: json(ref("ExportJobList")) }, "400": errorRef("BadRequest"), ...common },
        },
      },
      "/api/teams/{teamId}/export-jobs/{exportId}": {
        get: {
          operationId: "getExportJob",
          summary: "An export job's status, or its file",
          description: `With \`download=true\`, answers 302 to a link presigned for ${text.linkLifetime}, or less when the file is deleted sooner (409 while the export is not finished).`,
          tags: ["Export jobs"],
          parameters: [teamId, pathId("exportId", "The export's id."), ...queryParameters(jobQuery, { download: "`true` to be redirected to the file." })],
          responses: {
            "200": { description: "The job.", content: json(ref("ExportJob")) },
            "302": { description: `The file, at a link presigned for ${text.linkLifetime} or until the file is deleted, whichever is sooner.`, headers: { Location: { schema: { type: "string", format: "uri" } } } },
            "400": errorRef("BadRequest"),
            ...common,
            "404": errorRef("NotFound"),
            "409": errorRef("Conflict"),
            "502": errorRef("StorageUnavailable"),
          },
        },
        delete: {
          operationId: "deleteExportJob",
          summary: "Delete an export job (a running one is cancelled first) and its file",
          tags: ["Export jobs"],
          parameters: [teamId, pathId("exportId", "The export's id.")],
          responses: { "204": { description: "Deleted." }, "400": errorRef("BadRequest"), ...common, "404": errorRef("NotFound"), "502": errorRef("StorageUnavailable") },
        },
      },
    },
    components: {
      securitySchemes: { apiToken: { type: "http", scheme: "bearer", description: "An API token (`ec_…`) from the API tokens page or `npm run admin -- create-token`." } },
      schemas: schemas(text),
      responses: responses(text),
    },
  };
}
