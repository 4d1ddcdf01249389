import { dataroomKind } from "~/server/exports/kinds/dataroom";
import { resourceExportsRoute, startExportRoute } from "~/server/rest/export-routes";

export const dynamic = "force-dynamic";
export const GET = resourceExportsRoute(dataroomKind);
export const POST = startExportRoute(dataroomKind);
