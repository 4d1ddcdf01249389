import { visitExportRoute } from "~/server/rest/export-routes";

export const POST = visitExportRoute<{ teamId: string; id: string }>((p) => ({ kind: "document", documentId: p.id }));
