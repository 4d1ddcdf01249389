import { kindDefinition } from "~/server/exports/kinds";
import { visitRun } from "~/server/exports/kinds/visit-kind";
import { fileOf, visitExportRequested } from "~/server/jobs/events";
import { defineExportFunction } from "~/server/jobs/export-function";

/** Every view of a document, a dataroom or a dataroom group, with page durations, in the export's format (kinds/visit-kind.ts). */
export const exportVisits = defineExportFunction({
  id: "export-visits",
  name: "Export visits",
  trigger: { event: visitExportRequested.name },
  run: visitRun,
  exportOf(data) {
    const event = visitExportRequested.schema.parse(data);
    const { exportId, teamId, userId, fileTtlSeconds, kind, resourceId, groupId } = event;
    return { request: { exportId, teamId, userId, fileTtlSeconds }, kind: kindDefinition(kind), target: { resourceId, groupId }, file: fileOf(event) };
  },
});
