/**
 * A metric: the SQL of one of its versions (the latest unless the request names one), run on
 * that version's data source, every row (up to the cap) in a file that lives a minute
 * (EXPORT_FILE_TTL_SECONDS).
 */
import { z } from "zod";

import { openDataSource } from "~/server/data-sources/data-sources";
import { db } from "~/server/db";
import { AppError } from "~/server/errors";
import { exportLimits } from "~/server/exports/export-limits";
import { idSchema } from "~/server/ids";
import { log } from "~/server/log";
import { findMetricVersion } from "~/server/metrics/metric-versions";
import { safeFileName } from "~/server/storage";

import type { ExportKindDefinition, ExportRun } from "./export-kind";

/** Silent for at most (2 retries) 30+30 + 60+30 s of the engine's back-off, rounded up. */
export const metricRun: ExportRun = {
  limits: { finishWithinMinutes: 5, retries: 2, silentForMs: 3 * 60_000, concurrencyPerTeam: 3, fileTtlSeconds: () => exportLimits().metricFileTtlSeconds },
  loadStep: "load metric",
  produceStep: "query and upload",
};

/**
 * The metric's version `number` (the latest when not given), or NOT_FOUND when the metric is
 * not this team's, has no such version, or the version's data source is gone or has no
 * credentials.
 */
async function findExportableMetric(teamId: string, metricId: string, number: number | undefined) {
  const metric = await db.metric.findFirst({ where: { id: metricId, teamId }, select: { id: true, name: true } });
  if (!metric) throw new AppError("NOT_FOUND", "No such metric");
  const version = await findMetricVersion(metric.id, number);
  const source = version.dataSourceId
    ? await db.dataSource.findUnique({ where: { id: version.dataSourceId }, select: { encryptedCredentials: true } })
    : null;
  if (!version.dataSourceId || !source) throw new AppError("NOT_FOUND", `The data source of the metric's version ${version.number} was deleted`);
  if (!source.encryptedCredentials) throw new AppError("NOT_FOUND", "The metric's data source has no credentials");
  return { id: metric.id, name: metric.name, version: version.number, sql: version.sql, dataSourceId: version.dataSourceId };
}

const metricInput = z.object({
  metricId: idSchema,
  /** The version to export, as Buster's `metric_version_number` names it; the latest when absent. */
  metricVersionNumber: z.number().int().min(1).max(2_147_483_647).optional(),
});

export const metricKind = {
  id: "metric",
  label: "Metric",
  unit: { one: "row", many: "rows" },
  input: metricInput,
  run: metricRun,
  // Buster's download menu sends the same download again on every click.
  joinsRepeats: true,

  target: (input) => ({ resourceId: input.metricId, version: input.metricVersionNumber }),

  async findResource(teamId, target) {
    const metric = await findExportableMetric(teamId, target.resourceId, target.version);
    return { name: metric.name, version: metric.version };
  },

  /** `<metric name made safe>_<unix time>`, as the original API named its files. */
  async load(_request, _target, resource) {
    return { plan: {}, fileStem: `${safeFileName(resource.name, "metric")}_${Math.floor(Date.now() / 1000)}` };
  },

  async produce(request, target, _plan, _collected, ctx) {
    // Read again: the SQL is not carried through the step state. The version is the one the
    // export started with (the job records it), so an edit made meanwhile makes a new version
    // and leaves this export's alone. The metric is the event's, which the step checked
    // against the job record.
    const metric = await findExportableMetric(request.teamId, target.resourceId, target.version);
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
      log("info", "export.query_started", { metricId: metric.id, version: metric.version, ms: Date.now() - started, columns: result.columns.length, encodedBy });
      return { ...result, close: () => adapter.close() };
    } catch (error) {
      await adapter.close();
      throw error;
    }
  },
} satisfies ExportKindDefinition<"metric", typeof metricInput, Record<string, never>>;
