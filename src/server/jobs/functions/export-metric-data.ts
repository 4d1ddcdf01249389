import { metricKind, metricRun } from "~/server/exports/kinds/metric";
import { metricExportRequested } from "~/server/jobs/events";
import { defineExportFunction } from "~/server/jobs/export-function";

/** Runs a metric's SQL on its data source and leaves a CSV in storage for 60 seconds (kinds/metric.ts). */
export const exportMetricData = defineExportFunction({
  id: "export-metric-data",
  name: "Export metric data",
  trigger: { event: metricExportRequested.name },
  run: metricRun,
  exportOf(data) {
    const { exportId, teamId, userId, fileTtlSeconds, metricId, metricVersionNumber } = metricExportRequested.schema.parse(data);
    return { request: { exportId, teamId, userId, fileTtlSeconds }, kind: metricKind, target: metricKind.target({ metricId, metricVersionNumber }) };
  },
});
