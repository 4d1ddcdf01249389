/**
 * BigQuery through @google-cloud/bigquery: a query job (jobs.insert), then its results page
 * by page (jobs.getQueryResults with maxResults and pageToken), each page one batch. Pages
 * are sized so that no more than the row budget is ever requested.
 *
 * Read-only: BigQuery has no read-only session. Before the job runs, a dry run (free, and
 * it validates the SQL) reports the statement type, and anything but a SELECT is refused.
 * The real boundary is still the service account's roles: give it BigQuery Data Viewer and
 * Job User, nothing that can write.
 *
 * Timeout: the job gets `jobTimeoutMs`, and BigQuery cancels it past that.
 *
 * Authentication signs a short-lived JWT with the service account's key for each request
 * (Google's "self-signed JWT", as its generated clients do) instead of trading the key for
 * an OAuth token at oauth2.googleapis.com first, so a private `apiEndpoint` needs no other
 * Google host.
 */
import { BigQuery, type Job } from "@google-cloud/bigquery";

import { type Column, typedColumn } from "~/server/columns";
import { AppError } from "~/server/errors";

import { type BigQueryCredentials } from "../credentials";
import {
  type QueryResult,
  rowBudget,
  type SourceAdapter,
  type SourceQuery,
} from "../source-adapter";
import {
  connectionFailed,
  isPassThrough,
  queryFailed,
  queryTimedOut,
  SecretRedactor,
} from "../source-errors";
import { type BigQueryField, planBigQueryColumn } from "./bigquery-values";

/** Rows a results page asks for: each page is an HTTP call, so pages stay larger than a cursor's batches. */
const PAGE_ROWS = 5_000;

interface ApiErrorShape {
  code?: unknown;
  errors?: { reason?: string; message?: string }[];
}

interface QueryResultsPage {
  jobComplete?: boolean | null;
  pageToken?: string | null;
  schema?: { fields?: BigQueryField[] | null } | null;
  rows?: { f?: { v?: unknown }[] }[] | null;
}

function createClient(credentials: BigQueryCredentials): BigQuery {
  const { client_email, private_key, universe_domain } = credentials.credentials;
  const client = new BigQuery({
    projectId: credentials.projectId,
    credentials: { client_email, private_key, ...(universe_domain ? { universe_domain } : {}) },
    ...(credentials.apiEndpoint ? { apiEndpoint: credentials.apiEndpoint } : {}),
    ...(credentials.location ? { location: credentials.location } : {}),
    // The export's step retries a failed query (its run's `retries`): the client must not
    // retry each request as well, or one call would be tried up to 4 times per attempt.
    retryOptions: { autoRetry: false },
  });
  client.authClient.useJWTAccessWithScope = true;
  return client;
}

export function createBigQueryAdapter(credentials: BigQueryCredentials): SourceAdapter {
  const redactor = new SecretRedactor([credentials.credentials.private_key, credentials.credentials.private_key_id]);
  const client = createClient(credentials);
  const running = new Set<Job>();

  async function cancel(job: Job): Promise<void> {
    if (!running.delete(job)) return;
    await job.cancel().catch(() => undefined);
  }

  function toAppError(error: unknown, query: SourceQuery): unknown {
    if (isPassThrough(error, query.signal)) return error;
    if (query.signal?.aborted) return query.signal.reason;
    const { code, errors } = error as ApiErrorShape;
    const reason = errors?.[0]?.reason;
    if (reason === "timeout" || reason === "jobTimeout") return queryTimedOut(query.statementTimeoutMs, error, redactor);
    // Without an HTTP status, BigQuery never answered: the network, or signing with the key, failed.
    if (typeof code !== "number" || code === 401 || code >= 500) return connectionFailed(error, redactor, "BIGQUERY");
    return queryFailed(error, redactor, reason ? { sourceCode: reason } : undefined);
  }

  async function assertSelect(sql: string): Promise<void> {
    const [dryRun] = await client.createQueryJob({ query: sql, useLegacySql: false, dryRun: true });
    const statementType = dryRun.metadata?.statistics?.query?.statementType as string | undefined;
    if (statementType !== "SELECT") {
      throw new AppError(
        "QUERY_FAILED",
        `Only a SELECT can be exported; this statement is ${statementType ? `a ${statementType}` : "not a query"}.`,
        { details: { statementType } },
      );
    }
  }

  /**
   * One page of results. Until the job finishes, the server holds each call for up to 10 s
   * and then answers with no rows, and the call is repeated. (Passing timeoutMs would make
   * the client library give up instead of repeating.)
   */
  async function fetchPage(job: Job, query: SourceQuery, maxResults: number, pageToken?: string): Promise<QueryResultsPage> {
    for (;;) {
      query.signal?.throwIfAborted();
      const [rows, , response] = await job.getQueryResults({
        autoPaginate: false,
        skipParsing: true,
        maxResults,
        ...(pageToken ? { pageToken } : {}),
      });
      const page = (response ?? {}) as QueryResultsPage;
      if (page.jobComplete !== false) return { ...page, rows: rows as QueryResultsPage["rows"] };
    }
  }

  async function query(query: SourceQuery): Promise<QueryResult> {
    query.signal?.throwIfAborted();
    const batchSize = query.batchSize ?? PAGE_ROWS;
    let remaining = rowBudget(query);
    let job: Job | undefined;
    const abort = () => void (job && cancel(job));
    query.signal?.addEventListener("abort", abort, { once: true });
    const stopListening = () => query.signal?.removeEventListener("abort", abort);

    let page: QueryResultsPage;
    try {
      await assertSelect(query.sql);
      [job] = await client.createQueryJob({
        query: query.sql,
        useLegacySql: false,
        jobTimeoutMs: Math.max(1, Math.floor(query.statementTimeoutMs)),
        labels: { source: "export-center" },
      });
      running.add(job);
      page = await fetchPage(job, query, Math.min(batchSize, remaining));
    } catch (error) {
      stopListening();
      if (job) running.delete(job);
      throw toAppError(error, query);
    }
    const resultJob = job;
    // The job has finished once it has results; nothing is left to cancel.
    running.delete(resultJob);

    const plans = (page.schema?.fields ?? []).map((field) => ({ name: field.name ?? "", ...planBigQueryColumn(field) }));
    if (plans.length === 0) {
      stopListening();
      throw new AppError("QUERY_FAILED", "The statement returned no columns to export; a metric must be a SELECT.");
    }
    const columns: Column[] = plans.map(({ name, cell }) => typedColumn(name, cell));

    async function* batches(): AsyncGenerator<unknown[][]> {
      try {
        for (;;) {
          // slice: a server that ignores maxResults still cannot exceed the budget.
          const batch = (page.rows ?? []).slice(0, remaining).map((row) => {
            const cells = row.f ?? [];
            return plans.map((plan, i) => plan.read(cells[i]?.v ?? null));
          });
          remaining -= batch.length;
          if (batch.length > 0) yield batch;
          if (!page.pageToken || remaining <= 0) return;
          try {
            page = await fetchPage(resultJob, query, Math.min(batchSize, remaining), page.pageToken);
          } catch (error) {
            throw toAppError(error, query);
          }
        }
      } finally {
        stopListening();
      }
    }

    return { columns, batches: batches() };
  }

  return {
    type: "BIGQUERY",
    query,
    async test() {
      const result = await query({ sql: "SELECT 1", maxRows: 1, statementTimeoutMs: 30_000 });
      for await (const _ of result.batches) void _;
    },
    async close() {
      await Promise.all([...running].map(cancel));
    },
  };
}
