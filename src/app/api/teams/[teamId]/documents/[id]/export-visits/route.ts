import { documentKind } from "~/server/exports/kinds/document";
import { startExportRoute } from "~/server/rest/export-routes";

export const POST = startExportRoute(documentKind);
