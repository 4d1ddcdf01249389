import { dataroomKind } from "~/server/exports/kinds/dataroom";
import { dataroomGroupKind } from "~/server/exports/kinds/dataroom-group";
import { viewsCountRoute } from "~/server/rest/export-routes";

export const dynamic = "force-dynamic";
export const GET = viewsCountRoute(dataroomKind, dataroomGroupKind);
