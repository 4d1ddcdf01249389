import { visitExportRoute } from "~/server/rest/export-routes";

export const POST = visitExportRoute<{ teamId: string; id: string; groupId: string }>((p) => ({
  kind: "dataroom-group",
  dataroomId: p.id,
  groupId: p.groupId,
}));
