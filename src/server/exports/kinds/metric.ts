/**
 * A metric: its saved SQL, run on the team's data source, every row (up to the cap) in a file
 * that lives a minute (EXPORT_FILE_TTL_SECONDS).
 */
import { z } from "zod";

import { openDataSource } from "~/server/data-sources/data-sources";
import { db } from "~/server/db";
import { AppError } from "~/server/errors";
import { exportLimits } from "~/server/exports/export-limits";
import { idSchema } from "~/server/ids";
import { log } from "~/server/log";
import { safeFileName } from "~/server/storage";

import type { ExportKindDefinition, ExportRun } from "./export-kind";

/** Silent for at most (2 retries) 30+30 + 60+30 s of the engine's back-off, rounded up. */
export const metricRun: ExportRun = {
  limits: { finishWithinMinutes: 5, retries: 2, silentForMs: 3 * 60_000, concurrencyPerTeam: 3, fileTtlSeconds: () => exportLimits().metricFileTtlSeconds },
  loadStep: "load metric",
  produceStep: "query and upload",
};

/** The metric, or NOT_FOUND when it is not this team's or its data source has no credentials. */
async function findExportableMetric(teamId: string, metricId: string) {
  const metric = await db.metric.findFirst({
    where: { id: metricId, teamId },
    select: { id: true, name: true, sql: true, dataSourceId: true, dataSource: { select: { encryptedCredentials: true } } },
  });
  if (!metric) throw new AppError("NOT_FOUND", "No such metric");
  if (!metric.dataSource.encryptedCredentials) throw new AppError("NOT_FOUND", "The metric's data source has no credentials");
  return { id: metric.id, name: metric.name, sql: metric.sql, dataSourceId: metric.dataSourceId };
}

const metricInput = z.object({ metricId: idSchema });

export const metricKind = {
  id: "metric",
  label: "Metric",
  unit: { one: "row", many: "rows" },
  input: metricInput,
  run: metricRun,

  target: (input) => ({ resourceId: input.metricId }),

  async findResource(teamId, target) {
    const metric = await findExportableMetric(teamId, target.resourceId);
    return { name: metric.name };
  },

  /** `<metric name made safe>_<unix time>`, as the original API named its files. */
  async load(_request, _target, resource) {
    return { plan: {}, fileStem: `${safeFileName(resource.name, "metric")}_${Math.floor(Date.now() / 1000)}` };
  },

  async produce(request, target, _plan, _collected, ctx) {
    // Read again: the SQL is not carried through the step state, and an edit made while the
    // run waited in the queue applies. The metric is the event's, which the step checked
    // against the job record.
    const metric = await findExportableMetric(request.teamId, target.resourceId);
    const limits = exportLimits();
    const adapter = await openDataSource(request.teamId, metric.dataSourceId);
    const started = Date.now();
    try {
      ctx.progress({ phase: "querying", rows: 0, bytes: 0 });
      const query = {
        sql: metric.sql,
        maxRows: limits.maxRows,
        statementTimeoutMs: Math.min(limits.statementTimeoutMs, metricRun.limits.finishWithinMinutes * 60_000),
        signal: ctx.signal,
      };
      const result = adapter.queryCsv && ctx.databaseEncoding ? await adapter.queryCsv(query, ctx.databaseEncoding) : await adapter.query(query);
      const encodedBy = "csvRecords" in result ? "database" : "app";
      log("info", "export.query_started", { metricId: metric.id, ms: Date.now() - started, columns: result.columns.length, encodedBy });
      return { ...result, close: () => adapter.close() };
    } catch (error) {
      await adapter.close();
      throw error;
    }
  },
} satisfies ExportKindDefinition<"metric", typeof metricInput, Record<string, never>>;
