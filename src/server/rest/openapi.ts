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
import { exportJobAnswerSchema } from "~/server/rest/export-job-answer";
import { cancelExportBody, jobQuery, listQuery, metricDownloadQuery, sendEmailBody, startExportBody, startExportQuery, viewsCountQuery } from "~/server/rest/export-routes";
import { runReportSchema, SIGNATURE_HEADER } from "~/server/schedules/destinations";
import { createScheduleInput, updateScheduleInput } from "~/server/schedules/schedule-input";
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
    metricFileLifetime: durationInWords(limits.metricFileTtlSeconds, "en"),
  };
}
type LimitTexts = ReturnType<typeof limitTexts>;

const schemas = (text: LimitTexts): Record<string, Schema> => ({
  ExportJob: jsonSchema(exportJobSchema, "output"),
  RunReport: { ...jsonSchema(runReportSchema, "output"), description: "What a schedule's webhook is sent when a run ends." },
  ExportJobStatus: jsonSchema(exportJobAnswerSchema, "output"),
  ExportJobCancelled: {
    type: "object",
    required: ["message", "job"],
    properties: { message: { type: "string" }, job: ref("ExportJobStatus") },
  },
  ViewsCount: {
    type: "object",
    required: ["count"],
    properties: { count: { type: "integer", minimum: 0, description: "The views an export started now would cover." } },
  },
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
  EmailRequested: {
    type: "object",
    required: ["exportId", "email", "message"],
    properties: {
      exportId: { type: "string" },
      email: { ...jsonSchema(exportJobSchema.shape.email.unwrap(), "output"), description: "Whom the email goes to, and its state: `PENDING` until the export ends." },
      message: { type: "string" },
    },
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
      exportId: { type: "string", description: "The export's id; a repeated download that joined an export answers with that export's." },
      metricVersionNumber: { type: "integer", minimum: 1, description: "The metric's version that was exported." },
      message: { type: "string" },
    },
  },
  Schedule: {
    type: "object",
    required: ["id", "teamId", "ownerId", "name", "export", "format", "cron", "timezone", "enabled", "retentionDays", "destinations", "nextRunAt", "consecutiveFailures", "pausedAt", "pauseReason"],
    properties: {
      id: { type: "string" },
      teamId: { type: "string" },
      ownerId: { type: "string", description: "The member whose name the runs' exports are started in." },
      name: { type: "string" },
      export: {
        type: "object",
        required: ["kind"],
        properties: { kind: { type: "string" }, metricVersion: { type: ["integer", "null"], minimum: 1, description: "A metric's only: the version each run exports; null for the latest at each run." } },
        description: "The export's kind and its input, as given.",
      },
      format: { type: "string" },
      compression: { type: ["string", "null"] },
      cron: { type: "string", description: "Five fields, read in `timezone`." },
      timezone: { type: "string" },
      enabled: { type: "boolean" },
      retentionDays: { type: "integer", description: "How long each run's file is kept." },
      destinations: {
        type: "array",
        items: { type: "object", required: ["type"], properties: { type: { type: "string" } } },
        description: "Never with a secret. A change keeps one as stored, secrets included, with `{ \"keep\": <its index here> }`.",
      },
      nextRunAt: { type: ["string", "null"], format: "date-time", description: "Null while disabled or paused." },
      consecutiveFailures: { type: "integer", minimum: 0 },
      pausedAt: { type: ["string", "null"], format: "date-time", description: "Set when the schedule paused itself after 5 failed runs in a row." },
      pauseReason: { type: ["string", "null"] },
      lastRun: { type: ["object", "null"] },
      signingSecret: { type: "string", description: "Only in the answer that created the schedule's webhook: the key of `X-Export-Center-Signature: sha256=<hex HMAC-SHA256 of the raw body>`." },
    },
  },
  ScheduleList: { type: "object", required: ["schedules"], properties: { schedules: { type: "array", items: ref("Schedule"), description: "Newest first." } } },
  ScheduleRunList: {
    type: "object",
    required: ["runs", "total", "nextOffset"],
    properties: {
      runs: {
        type: "array",
        description: "Newest first.",
        items: {
          type: "object",
          required: ["id", "dueAt", "startedAt", "exportId", "status", "rows", "bytes", "truncated", "error", "finishedAt", "deliveries", "delivery"],
          properties: {
            id: { type: "string" },
            dueAt: { type: "string", format: "date-time", description: "The slot the run was for." },
            startedAt: { type: "string", format: "date-time" },
            exportId: { type: ["string", "null"], description: "Its file: /api/teams/{teamId}/export-jobs/{exportId}?download=true" },
            status: { type: "string", enum: ["RUNNING", "COMPLETED", "FAILED"] },
            rows: { type: ["integer", "null"] },
            bytes: { type: ["integer", "null"] },
            truncated: { type: "boolean" },
            error: { type: ["string", "null"] },
            finishedAt: { type: ["string", "null"], format: "date-time" },
            deliveries: { type: "array", items: { type: "object", required: ["destinationIndex", "destination", "status", "reason", "tries"] } },
            delivery: { type: ["string", "null"], description: "e.g. \"delivered to 2 of 3\"." },
          },
        },
      },
      total: { type: "integer", minimum: 0 },
      nextOffset: { type: ["integer", "null"] },
    },
  },
  ScheduleRunStarted: {
    type: "object",
    required: ["exportId", "runId"],
    properties: { exportId: { type: "string", description: "Poll /api/teams/{teamId}/export-jobs/{exportId} for its status." }, runId: { type: "string" } },
  },
  Error: {
    type: "object",
    required: ["code", "message", "error"],
    properties: {
      code: { type: "string", enum: Object.keys(errorCodes).map((code) => code.toLowerCase()) },
      message: { type: "string", description: "What went wrong, for people. For a failed query, the database's own message (never credentials)." },
      error: { type: "string", description: "The same text as `message`, for clients that read `error` (Papermark's)." },
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
  Gone: {
    description:
      "The export has no file and never will again: it failed or was cancelled, or its file expired or left storage (`gone`). " +
      "A browser's navigation (`Accept: text/html`, as an `<a download>` link sends) gets the reason as an HTML page.",
    content: { ...json(ref("Error")), "text/html": { schema: { type: "string" } } },
  },
  PayloadTooLarge: errorResponse(`The request body is over ${MAX_BODY_BYTES} bytes (\`payload_too_large\`), or the export's file over its size cap (\`file_too_large\`).`),
  RateLimited: errorResponse("Too many calls: per token on the whole API, and per user and per team when starting exports.", rateLimitHeaders),
  Internal: errorResponse("Something failed on the server's side; nothing was left half-done."),
  UpstreamUnavailable: errorResponse("The metric's data source (`upstream_unavailable`) or the file storage (`storage_unavailable`) could not be reached."),
  Unprocessable: errorResponse("The request cannot be served here: e.g. an email for a metric export, whose file lives too short a time, or a server without email set up."),
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
      `A slower export answers 504 with its \`exportId\`, and goes on. At most ${text.rows} (\`truncated\` says when the file was cut) and ${text.bytes}. ` +
      "The same download again by the same caller (same metric, version and options) while one runs joins it and waits on it; once it has finished, it answers with a fresh link to the same file while that file lives.",
    tags: ["Metric exports"],
    parameters: [
      pathId("id", "The metric's id."),
      ...queryParameters(metricDownloadQuery, {
        metric_version_number: "The version to export, from 1; the latest when absent. A version the metric does not have is a 404 that names it.",
        report_file_id: "Buster's report the metric sits in. There are no reports here: any value is a 404 that says so.",
        ...fileOptionDescriptions,
      }),
    ],
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
    get: {
      operationId: `list${operationId[0]!.toUpperCase()}${operationId.slice(1)}`,
      summary: "The resource's latest exports (Papermark's export modal)",
      description: "A bare array of at most 10 of this resource's exports, newest first, without the failed ones. `result` is set once the file can be downloaded.",
      tags: ["Visit exports"],
      parameters: [teamId, ...ids],
      responses: {
        "200": { description: "The exports.", content: json({ type: "array", items: ref("ExportJobStatus") }) },
        "400": errorRef("BadRequest"),
        ...common,
        "404": errorRef("NotFound"),
      },
    },
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

function viewsCount(operationId: string, summary: string, query: Schema[]) {
  return {
    get: {
      operationId,
      summary,
      description: "Papermark's modal asks this before an export, to offer email for a large one.",
      tags: ["Visit exports"],
      parameters: [teamId, pathId("id", "The resource's id."), ...query],
      responses: { "200": { description: "The count.", content: json(ref("ViewsCount")) }, "400": errorRef("BadRequest"), ...common, "404": errorRef("NotFound") },
    },
  };
}

const scheduleId = pathId("scheduleId", "The schedule's id.");
const scheduleBody = (schema: z.ZodType, description: string) => ({ required: true, description: `${description} At most ${MAX_BODY_BYTES} bytes.`, content: json(jsonSchema(schema, "input")) });
const scheduleAnswer = (status: string, description: string) => ({ [status]: { description, content: json(ref("Schedule")) } });
const managers = "Owners and admins only (403 for others).";

function schedulePaths() {
  const tags = ["Schedules"];
  return {
    "/api/teams/{teamId}/schedules": {
      get: {
        operationId: "listSchedules",
        summary: "List the team's schedules",
        tags,
        parameters: [teamId],
        responses: { "200": { description: "The schedules.", content: json(ref("ScheduleList")) }, "400": errorRef("BadRequest"), ...common },
      },
      post: {
        operationId: "createSchedule",
        summary: "Create a schedule",
        description: `${managers} A bad cron, an unknown time zone, a cron that fires more often than the minimum interval, or a bad destination is a 400 naming the field.`,
        tags,
        parameters: [teamId],
        requestBody: scheduleBody(createScheduleInput, "The schedule."),
        responses: { ...scheduleAnswer("201", "Created; `signingSecret` is in this answer only."), "400": errorRef("BadRequest"), ...common, "404": errorRef("NotFound"), "413": errorRef("PayloadTooLarge") },
      },
    },
    "/api/teams/{teamId}/schedules/{scheduleId}": {
      get: {
        operationId: "getSchedule",
        summary: "A schedule",
        tags,
        parameters: [teamId, scheduleId],
        responses: { ...scheduleAnswer("200", "The schedule."), "400": errorRef("BadRequest"), ...common, "404": errorRef("NotFound") },
      },
      patch: {
        operationId: "updateSchedule",
        summary: "Change a schedule, or resume one that paused itself (`paused: false`)",
        description: managers,
        tags,
        parameters: [teamId, scheduleId],
        requestBody: scheduleBody(
          updateScheduleInput,
          "The fields to change; the others stay. `destinations` replaces the list: an entry `{ \"keep\": N }` keeps the schedule's current destination N as stored, with its secrets, which are never shown; `export` replaces the export, and a metric's without `metricVersion` exports the latest version.",
        ),
        responses: { ...scheduleAnswer("200", "The schedule as changed."), "400": errorRef("BadRequest"), ...common, "404": errorRef("NotFound"), "413": errorRef("PayloadTooLarge") },
      },
      delete: {
        operationId: "deleteSchedule",
        summary: "Delete a schedule and its run history",
        description: managers,
        tags,
        parameters: [teamId, scheduleId],
        responses: { "204": { description: "Deleted." }, "400": errorRef("BadRequest"), ...common, "404": errorRef("NotFound") },
      },
    },
    "/api/teams/{teamId}/schedules/{scheduleId}/run": {
      post: {
        operationId: "runSchedule",
        summary: "Run a schedule now",
        description: "Any member but a viewer. The export starts in the name of the schedule's owner, and is delivered like a scheduled run.",
        tags,
        parameters: [teamId, scheduleId],
        responses: {
          "202": { description: "The run has started.", content: json(ref("ScheduleRunStarted")) },
          "400": errorRef("BadRequest"),
          ...common,
          "404": errorRef("NotFound"),
          "422": errorResponse("The schedule's export could not start (its resource is gone, its owner left the team); the run is recorded as failed."),
        },
      },
    },
    "/api/teams/{teamId}/schedules/{scheduleId}/runs": {
      get: {
        operationId: "listScheduleRuns",
        summary: "A schedule's runs, newest first, with each destination's outcome",
        tags,
        parameters: [teamId, scheduleId, ...queryParameters(listQuery, { limit: "Runs per page, 1 to 100 (20).", offset: "Runs to skip (0)." })],
        responses: { "200": { description: "A page of runs.", content: json(ref("ScheduleRunList")) }, "400": errorRef("BadRequest"), ...common, "404": errorRef("NotFound") },
      },
    },
  };
}

/** What a schedule's webhook destination receives: an OpenAPI 3.1 webhook, sent by us rather than called. */
function scheduleWebhooks() {
  return {
    scheduleRun: {
      post: {
        operationId: "scheduleRunEnded",
        summary: "A scheduled run ended (sent to each of the schedule's webhook destinations)",
        description:
          "`export.completed` with the file's figures and a `downloadUrl` into the app, or `export.failed` with the reason. " +
          `Verify \`${SIGNATURE_HEADER}\` before trusting the body: \`sha256=\` and the hex HMAC-SHA256 of the raw body, keyed with the schedule's \`signingSecret\` (shown once, when the schedule was created). ` +
          "A 2xx answer counts as delivered; anything else, or no answer, is retried with backoff, then recorded as failed in the run's deliveries.",
        tags: ["Schedules"],
        parameters: [
          {
            name: SIGNATURE_HEADER,
            in: "header",
            required: true,
            description: "`sha256=<hex HMAC-SHA256 of the raw body>`, keyed with the schedule's signing secret.",
            schema: { type: "string", pattern: "^sha256=[0-9a-f]{64}$" },
          },
        ],
        requestBody: { required: true, content: json(ref("RunReport")) },
        responses: {
          "2XX": { description: "Delivered." },
          default: { description: "Not delivered: retried with backoff, then recorded as failed." },
        },
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
        "Every error has the same shape: `{ code, message, error, … }`, where `error` repeats `message` for clients that read it.",
    },
    servers: [{ url: "/" }],
    security: [{ apiToken: [] }],
    tags: [{ name: "Metric exports" }, { name: "Visit exports" }, { name: "Export jobs" }, { name: "Schedules" }],
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
      "/api/teams/{teamId}/documents/{id}/views-count": viewsCount("countDocumentViews", "The views an export of this document would cover", []),
      "/api/teams/{teamId}/datarooms/{id}/views-count": viewsCount(
        "countDataroomViews",
        "The views an export of this dataroom, or of one of its groups, would cover",
        queryParameters(viewsCountQuery, { groupId: "A group of the dataroom: count the views an export of that group would cover." }),
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
          description:
            `With \`download=true\`, answers 302 to a link presigned for ${text.linkLifetime}, or less when the file is deleted sooner (409 while the export is not finished, 410 when it has no file). ` +
            "Then a browser's navigation (`Accept: text/html`) gets any error as an HTML page.",
          tags: ["Export jobs"],
          parameters: [teamId, pathId("exportId", "The export's id."), ...queryParameters(jobQuery, { download: "`true` to be redirected to the file." })],
          responses: {
            "200": { description: "The job.", content: json(ref("ExportJobStatus")) },
            "302": { description: `The file, at a link presigned for ${text.linkLifetime} or until the file is deleted, whichever is sooner.`, headers: { Location: { schema: { type: "string", format: "uri" } } } },
            "400": errorRef("BadRequest"),
            ...common,
            "404": errorRef("NotFound"),
            "409": errorRef("Conflict"),
            "410": errorRef("Gone"),
            "502": errorRef("StorageUnavailable"),
          },
        },
        patch: {
          operationId: "cancelExportJob",
          summary: "Cancel a pending or running export (Papermark's Cancel)",
          description: "Takes no body. The job ends CANCELLED and whatever was written of its file is deleted.",
          tags: ["Export jobs"],
          parameters: [teamId, pathId("exportId", "The export's id.")],
          requestBody: { required: false, description: "None; an empty JSON object is accepted.", content: json(jsonSchema(cancelExportBody, "input")) },
          responses: {
            "200": { description: "Cancelled.", content: json(ref("ExportJobCancelled")) },
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
      "/api/teams/{teamId}/export-jobs/{exportId}/send-email": {
        post: {
          operationId: "sendExportEmail",
          summary: "Email me when this export ends",
          description:
            "Registers the caller's own email address on a running export (Papermark's \"Email to …\"). When the export completes, an email goes there with the link " +
            "`/api/teams/{teamId}/export-jobs/{exportId}?download=true`, which mints a fresh presigned link when opened signed in; when it fails, an email gives the reason. " +
            "The job's `email` shows whether it will be sent, was sent, or failed. " +
            `Metric exports are refused (422): their file is kept for ${text.metricFileLifetime}, too short for a link sent by email.`,
          tags: ["Export jobs"],
          parameters: [teamId, pathId("exportId", "The export's id.")],
          requestBody: { required: false, description: "None; an empty JSON object is the same.", content: json(jsonSchema(sendEmailBody, "input")) },
          responses: {
            "202": { description: "The email will be sent when the export ends.", content: json(ref("EmailRequested")) },
            "400": errorRef("BadRequest"),
            ...common,
            "404": errorRef("NotFound"),
            "409": errorRef("Conflict"),
            "422": errorRef("Unprocessable"),
            "502": errorRef("UpstreamUnavailable"),
          },
        },
      },
      ...schedulePaths(),
    },
    webhooks: scheduleWebhooks(),
    components: {
      securitySchemes: { apiToken: { type: "http", scheme: "bearer", description: "An API token (`ec_…`) from the API tokens page or `npm run admin -- create-token`." } },
      schemas: schemas(text),
      responses: responses(text),
    },
  };
}
