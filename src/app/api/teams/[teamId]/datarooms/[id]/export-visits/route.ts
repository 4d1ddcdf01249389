import { dataroomKind } from "~/server/exports/kinds/dataroom";
import { startExportRoute } from "~/server/rest/export-routes";

export const POST = startExportRoute(dataroomKind);
