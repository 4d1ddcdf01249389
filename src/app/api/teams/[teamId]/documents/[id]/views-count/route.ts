import { documentKind } from "~/server/exports/kinds/document";
import { viewsCountRoute } from "~/server/rest/export-routes";

export const dynamic = "force-dynamic";
export const GET = viewsCountRoute(documentKind);
