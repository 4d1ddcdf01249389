import { dataroomGroupKind } from "~/server/exports/kinds/dataroom-group";
import { startExportRoute } from "~/server/rest/export-routes";

export const POST = startExportRoute(dataroomGroupKind);
