import { kindDefinition } from "~/server/exports/kinds";
import { visitRun } from "~/server/exports/kinds/visit-kind";
import { visitExportRequested } from "~/server/jobs/events";
import { defineExportFunction } from "~/server/jobs/export-function";

/** Every view of a document, a dataroom or a dataroom group, with page durations, as CSV (kinds/visit-kind.ts). */
export const exportVisits = defineExportFunction({
  id: "export-visits",
  name: "Export visits",
  trigger: { event: visitExportRequested.name },
  run: visitRun,
  exportOf(data) {
    const { exportId, teamId, userId, fileTtlSeconds, kind, resourceId, groupId } = visitExportRequested.schema.parse(data);
    return { request: { exportId, teamId, userId, fileTtlSeconds }, kind: kindDefinition(kind), target: { resourceId, groupId } };
  },
});
