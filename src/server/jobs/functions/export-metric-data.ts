import { exportLimits } from "~/server/exports/export-limits";
import { finishWithinMs, runLimits } from "~/server/exports/export-run-limits";
import { findExportableMetric, metricFileName, produceMetricCsv } from "~/server/exports/metric/metric-file";
import { metricExportRequested } from "~/server/jobs/events";
import { defineExportFunction } from "~/server/jobs/export-function";

/** Runs a metric's SQL on its data source and leaves a CSV in storage for 60 seconds. */
export const exportMetricData = defineExportFunction({
  id: "export-metric-data",
  name: "Export metric data",
  trigger: { event: metricExportRequested.name },
  parse: (data) => metricExportRequested.schema.parse(data),
  target: (data) => ({ type: "metric", resourceId: data.metricId }),
  limits: runLimits.metric,
  concurrencyPerTeam: 3,
  loadStep: "load metric",
  produceStep: "query and upload",
  fileTtlSeconds: () => exportLimits().metricFileTtlSeconds,
  async load(data) {
    const metric = await findExportableMetric(data.teamId, data.metricId);
    return { plan: {}, resourceName: metric.name, fileName: metricFileName(metric.name) };
  },
  async produce(data, _plan, ctx) {
    // Read again: the SQL is not carried through the step state, and an edit made while the
    // run waited in the queue applies. The metric is the event's, which the step checked
    // against the job record.
    const metric = await findExportableMetric(data.teamId, data.metricId);
    return produceMetricCsv(data.teamId, metric, ctx, { timeoutMs: finishWithinMs("metric") });
  },
});
