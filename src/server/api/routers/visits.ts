import { startInput, startsExportOf } from "~/server/api/start-export-procedure";
import { createTRPCRouter, teamProcedure } from "~/server/api/trpc";
import { dataroomKind } from "~/server/exports/kinds/dataroom";
import { dataroomGroupKind } from "~/server/exports/kinds/dataroom-group";
import { documentKind } from "~/server/exports/kinds/document";
import { listVisitResources } from "~/server/exports/visits/visit-resources";

export const visitsRouter = createTRPCRouter({
  resources: teamProcedure.query(({ ctx }) => listVisitResources(ctx.team.id)),
  exportDocument: teamProcedure.input(documentKind.input).input(startInput).mutation(startsExportOf(documentKind)),
  exportDataroom: teamProcedure.input(dataroomKind.input).input(startInput).mutation(startsExportOf(dataroomKind)),
  exportGroup: teamProcedure.input(dataroomGroupKind.input).input(startInput).mutation(startsExportOf(dataroomGroupKind)),
});
