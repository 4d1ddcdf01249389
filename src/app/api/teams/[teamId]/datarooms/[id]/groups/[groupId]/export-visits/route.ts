import { dataroomGroupKind } from "~/server/exports/kinds/dataroom-group";
import { resourceExportsRoute, startExportRoute } from "~/server/rest/export-routes";

export const dynamic = "force-dynamic";
export const GET = resourceExportsRoute(dataroomGroupKind);
export const POST = startExportRoute(dataroomGroupKind);
