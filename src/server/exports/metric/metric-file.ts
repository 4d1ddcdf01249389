/**
 * A metric export's two halves: finding what to export (and refusing early when it cannot
 * be), and streaming the query's rows into a CSV body for the upload.
 */
import { CsvWriter } from "~/server/csv";
import { openDataSource } from "~/server/data-sources/data-sources";
import { db } from "~/server/db";
import { AppError } from "~/server/errors";
import { exportLimits } from "~/server/exports/export-limits";
import type { ProduceContext, ProducedFile } from "~/server/jobs/export-function";
import { log } from "~/server/log";
import { safeFileName } from "~/server/storage";

/** The same rules whether the app or the database encodes the CSV. */
const CSV_RULES = { neutralizeFormulas: true } as const;

/** `<metric name made safe>_<unix time>.csv`, as the original API named its files. */
export function metricFileName(metricName: string, at = new Date()): string {
  return `${safeFileName(metricName, "metric")}_${Math.floor(at.getTime() / 1000)}.csv`;
}

/** The metric, or NOT_FOUND when it is not this team's or its data source has no credentials. */
export async function findExportableMetric(teamId: string, metricId: string) {
  const metric = await db.metric.findFirst({
    where: { id: metricId, teamId },
    select: { id: true, name: true, sql: true, dataSourceId: true, dataSource: { select: { encryptedCredentials: true } } },
  });
  if (!metric) throw new AppError("NOT_FOUND", "No such metric");
  if (!metric.dataSource.encryptedCredentials) throw new AppError("NOT_FOUND", "The metric's data source has no credentials");
  return { id: metric.id, name: metric.name, sql: metric.sql, dataSourceId: metric.dataSourceId };
}

export async function produceMetricCsv(
  teamId: string,
  metric: { id: string; sql: string; dataSourceId: string },
  ctx: ProduceContext,
  options: { timeoutMs: number },
): Promise<ProducedFile> {
  const limits = exportLimits();
  const adapter = await openDataSource(teamId, metric.dataSourceId);
  const started = Date.now();
  try {
    ctx.progress({ phase: "querying", rows: 0, bytes: 0 });
    const query = {
      sql: metric.sql,
      maxRows: limits.maxRows,
      statementTimeoutMs: Math.min(limits.statementTimeoutMs, options.timeoutMs),
      signal: ctx.signal,
    };
    const result = adapter.queryCsv ? await adapter.queryCsv(query, CSV_RULES) : await adapter.query(query);
    const encodedBy = "csvRecords" in result ? "database" : "app";
    log("info", "export.query_started", { metricId: metric.id, ms: Date.now() - started, columns: result.columns.length, encodedBy });
    const writer = new CsvWriter(result.columns, {
      ...CSV_RULES,
      maxRows: limits.maxRows,
      maxBytes: limits.maxBytes,
      onProgress: ({ rows, bytes }) => ctx.progress({ phase: "writing", rows, bytes }),
    });
    const body = "csvRecords" in result ? writer.streamRecords(result.csvRecords) : writer.stream(result.batches);
    body.once("close", () => void adapter.close());
    return { body, summary: () => writer.result };
  } catch (error) {
    await adapter.close();
    throw error;
  }
}
