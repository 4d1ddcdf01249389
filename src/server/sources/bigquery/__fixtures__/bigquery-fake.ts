/**
 * A local HTTP fake of the BigQuery v2 REST calls that @google-cloud/bigquery makes for a
 * query job: jobs.insert (with dryRun), jobs.getQueryResults (long-poll, then pages by
 * pageToken) and jobs.cancel. The real client reaches it through its `apiEndpoint` option.
 *
 * It checks each request's bearer token the way Google does for a service account's
 * self-signed JWT: RS256, signed by the service account's key, issued by its email.
 *
 * Queries it knows:
 * - `SELECT * FROM <dataset>.<table>` returns that table, `pageSize` rows per page at most;
 * - `SELECT 1`;
 * - INSERT/UPDATE/DELETE/MERGE/CREATE/DROP dry-run as their statement type;
 * - a query containing `slow` fails its job with reason "timeout";
 * - an unknown table is a 404 notFound at the dry run, like BigQuery's validation.
 * Error bodies follow Google's JSON error format; their wording imitates BigQuery's.
 */
import { createPublicKey, randomUUID, verify } from "node:crypto";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import { type AddressInfo } from "node:net";

export interface BigQueryFakeField {
  name: string;
  type: string;
  mode?: "NULLABLE" | "REQUIRED" | "REPEATED";
  fields?: BigQueryFakeField[];
}

export interface BigQueryFakeTable {
  schema: BigQueryFakeField[];
  /** Rows in the REST format: `{ f: [{ v }] }`, every scalar a string. */
  rows: { f: { v: unknown }[] }[];
}

export interface BigQueryFakeOptions {
  projectId: string;
  serviceAccountEmail: string;
  /** PEM of the service account's private key; the fake checks signatures with its public half. */
  privateKey: string;
  tables: Record<string, BigQueryFakeTable>;
  /** Rows per page when the client asks for more. */
  pageSize?: number;
}

export interface BigQueryFake {
  /** The `apiEndpoint` to give the client. */
  url: string;
  /** Jobs inserted (not dry runs), with the configuration the client sent. */
  jobs: { jobId: string; query: string; jobTimeoutMs?: string; location?: string }[];
  dryRuns: string[];
  /** getQueryResults calls, with the paging parameters the client sent. */
  resultCalls: { jobId: string; maxResults: number | undefined; pageToken: string | undefined }[];
  rowsServed: number;
  close(): Promise<void>;
}

interface JobState {
  query: string;
  table?: BigQueryFakeTable;
  polled: boolean;
}

function sendJson(response: ServerResponse, status: number, body: unknown): void {
  response.writeHead(status, { "content-type": "application/json; charset=UTF-8" });
  response.end(JSON.stringify(body));
}

function googleError(response: ServerResponse, status: number, reason: string, message: string): void {
  const statusText = status === 404 ? "NOT_FOUND" : status === 401 ? "UNAUTHENTICATED" : "INVALID_ARGUMENT";
  sendJson(response, status, {
    error: { code: status, message, errors: [{ message, domain: "global", reason }], status: statusText },
  });
}

function readJson(request: IncomingMessage): Promise<Record<string, unknown>> {
  return new Promise((resolve, reject) => {
    const parts: Buffer[] = [];
    request.on("data", (part: Buffer) => parts.push(part));
    request.on("error", reject);
    request.on("end", () => {
      const text = Buffer.concat(parts).toString("utf8");
      resolve(text ? (JSON.parse(text) as Record<string, unknown>) : {});
    });
  });
}

function statementType(query: string): string {
  const keyword = /^\s*(\w+)/.exec(query)?.[1]?.toUpperCase() ?? "";
  if (keyword === "SELECT" || keyword === "WITH") return "SELECT";
  if (keyword === "CREATE") return "CREATE_TABLE";
  if (keyword === "DROP") return "DROP_TABLE";
  return keyword;
}

export async function startBigQueryFake(options: BigQueryFakeOptions): Promise<BigQueryFake> {
  const pageSize = options.pageSize ?? 1000;
  const publicKey = createPublicKey(options.privateKey);
  const jobs = new Map<string, JobState>();
  const fake: BigQueryFake = {
    url: "",
    jobs: [],
    dryRuns: [],
    resultCalls: [],
    rowsServed: 0,
    close: () => Promise.resolve(),
  };

  function authorized(request: IncomingMessage): boolean {
    const token = /^Bearer (.+)$/.exec(request.headers.authorization ?? "")?.[1];
    const [header, payload, signature] = token?.split(".") ?? [];
    if (!header || !payload || !signature) return false;
    const signed = verify("RSA-SHA256", Buffer.from(`${header}.${payload}`), publicKey, Buffer.from(signature, "base64url"));
    const claims = JSON.parse(Buffer.from(payload, "base64url").toString("utf8")) as { iss?: string; exp?: number };
    return signed && claims.iss === options.serviceAccountEmail && (claims.exp ?? 0) * 1000 > Date.now();
  }

  function findTable(query: string): { name?: string; table?: BigQueryFakeTable } {
    const name = /\bFROM\s+`?([\w.-]+)`?/i.exec(query)?.[1];
    return { name, table: name ? options.tables[name] : undefined };
  }

  async function insertJob(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const body = (await readJson(request)) as {
      jobReference?: { jobId?: string; location?: string };
      configuration?: { dryRun?: boolean; jobTimeoutMs?: string; query?: { query?: string } };
    };
    const query = body.configuration?.query?.query ?? "";
    const jobId = body.jobReference?.jobId ?? randomUUID();
    const location = body.jobReference?.location ?? "US";
    const type = statementType(query);
    const { name, table } = findTable(query);
    if (type === "SELECT" && name && !table) {
      return googleError(response, 404, "notFound", `Not found: Table ${options.projectId}:${name} was not found in location ${location}`);
    }
    const jobReference = { projectId: options.projectId, jobId, location };
    if (body.configuration?.dryRun) {
      fake.dryRuns.push(query);
      return sendJson(response, 200, {
        kind: "bigquery#job",
        jobReference,
        configuration: body.configuration,
        status: { state: "DONE" },
        statistics: { query: { statementType: type, totalBytesProcessed: "0" } },
      });
    }
    fake.jobs.push({ jobId, query, jobTimeoutMs: body.configuration?.jobTimeoutMs, location });
    jobs.set(jobId, { query, table, polled: false });
    sendJson(response, 200, { kind: "bigquery#job", jobReference, configuration: body.configuration, status: { state: "RUNNING" } });
  }

  function queryResults(jobId: string, url: URL, response: ServerResponse): void {
    const job = jobs.get(jobId);
    const maxResultsParam = url.searchParams.get("maxResults");
    const pageToken = url.searchParams.get("pageToken") ?? undefined;
    const maxResults = maxResultsParam ? Number(maxResultsParam) : undefined;
    fake.resultCalls.push({ jobId, maxResults, pageToken });
    if (!job) return googleError(response, 404, "notFound", `Not found: Job ${options.projectId}:${jobId}`);
    const jobReference = { projectId: options.projectId, jobId, location: "US" };
    // The first poll finds the job still running, as a real long-poll often does.
    if (!job.polled) {
      job.polled = true;
      return sendJson(response, 200, { kind: "bigquery#getQueryResultsResponse", jobReference, jobComplete: false });
    }
    if (/slow/i.test(job.query)) {
      return googleError(response, 400, "timeout", "Job execution was cancelled: Job timed out after 0 sec");
    }
    const table: BigQueryFakeTable = job.table ?? { schema: [{ name: "f0_", type: "INTEGER" }], rows: [{ f: [{ v: "1" }] }] };
    const start = pageToken ? Number(Buffer.from(pageToken, "base64url").toString("utf8")) : 0;
    const size = Math.min(maxResults ?? pageSize, pageSize);
    const rows = table.rows.slice(start, start + size);
    fake.rowsServed += rows.length;
    const next = start + rows.length;
    sendJson(response, 200, {
      kind: "bigquery#getQueryResultsResponse",
      jobReference,
      schema: { fields: table.schema },
      totalRows: String(table.rows.length),
      ...(rows.length > 0 ? { rows } : {}),
      ...(next < table.rows.length ? { pageToken: Buffer.from(String(next)).toString("base64url") } : {}),
      jobComplete: true,
      cacheHit: false,
    });
  }

  async function handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const url = new URL(request.url ?? "/", fake.url);
    if (!authorized(request)) {
      return googleError(response, 401, "authError", "Request had invalid authentication credentials.");
    }
    const prefix = `/bigquery/v2/projects/${options.projectId}`;
    if (request.method === "POST" && url.pathname === `${prefix}/jobs`) return insertJob(request, response);
    const results = new RegExp(`^${prefix}/queries/([^/]+)$`).exec(url.pathname);
    if (request.method === "GET" && results?.[1]) return queryResults(results[1], url, response);
    const cancel = new RegExp(`^${prefix}/jobs/([^/]+)/cancel$`).exec(url.pathname);
    if (request.method === "POST" && cancel?.[1]) {
      return sendJson(response, 200, { kind: "bigquery#jobCancelResponse", job: { jobReference: { jobId: cancel[1] } } });
    }
    googleError(response, 404, "notFound", `The fake does not serve ${request.method} ${url.pathname}`);
  }

  const server = createServer((request, response) => {
    handle(request, response).catch((error: unknown) => googleError(response, 500, "backendError", String(error)));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  fake.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  fake.close = () =>
    new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    });
  return fake;
}
