import { metricKind, metricRun } from "~/server/exports/kinds/metric";
import { fileOf, metricExportRequested } from "~/server/jobs/events";
import { defineExportFunction } from "~/server/jobs/export-function";

/** Runs a metric's SQL on its data source and leaves its file in storage for 60 seconds (kinds/metric.ts). */
export const exportMetricData = defineExportFunction({
  id: "export-metric-data",
  name: "Export metric data",
  trigger: { event: metricExportRequested.name },
  run: metricRun,
  exportOf(data) {
    const event = metricExportRequested.schema.parse(data);
    const { exportId, teamId, userId, fileTtlSeconds, metricId, metricVersionNumber } = event;
    return { request: { exportId, teamId, userId, fileTtlSeconds }, kind: metricKind, target: metricKind.target({ metricId, metricVersionNumber }), file: fileOf(event) };
  },
});
