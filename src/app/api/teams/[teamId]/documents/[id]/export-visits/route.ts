import { documentKind } from "~/server/exports/kinds/document";
import { resourceExportsRoute, startExportRoute } from "~/server/rest/export-routes";

export const dynamic = "force-dynamic";
export const GET = resourceExportsRoute(documentKind);
export const POST = startExportRoute(documentKind);
