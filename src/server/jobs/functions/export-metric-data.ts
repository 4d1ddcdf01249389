import { exportLimits } from "~/server/exports/export-limits";
import { findExportableMetric, metricFileName, produceMetricCsv } from "~/server/exports/metric/metric-file";
import { metricExportRequested } from "~/server/jobs/events";
import { defineExportFunction } from "~/server/jobs/export-function";

const TIMEOUT_MS = 5 * 60 * 1000;

/** Runs a metric's SQL on its data source and leaves a CSV in storage for 60 seconds. */
export const exportMetricData = defineExportFunction({
  id: "export-metric-data",
  name: "Export metric data",
  trigger: { event: metricExportRequested.name },
  parse: (data) => metricExportRequested.schema.parse(data),
  retries: 2,
  timeout: "5m",
  timeoutMs: TIMEOUT_MS,
  concurrencyPerTeam: 3,
  loadStep: "load metric",
  produceStep: "query and upload",
  fileTtlSeconds: () => exportLimits().metricFileTtlSeconds,
  async load(data) {
    const metric = await findExportableMetric(data.teamId, data.metricId);
    return {
      plan: { metricId: metric.id },
      resourceName: metric.name,
      fileName: metricFileName(metric.name),
    };
  },
  async produce(data, plan, ctx) {
    // Read again: the SQL is not carried through the step state, and an edit made while the
    // run waited in the queue applies.
    const metric = await findExportableMetric(data.teamId, plan.metricId);
    return produceMetricCsv(data.teamId, metric, ctx, { timeoutMs: TIMEOUT_MS });
  },
});
