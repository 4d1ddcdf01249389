/** The visits of a whole dataroom, every document and link in it. */
import { z } from "zod";

import { db } from "~/server/db";
import { AppError } from "~/server/errors";
import { idSchema } from "~/server/ids";
import { dataroomLayout } from "~/server/exports/visits/visit-file";

import { defineVisitKind } from "./visit-kind";

export const dataroomKind = defineVisitKind({
  id: "dataroom",
  label: "Dataroom visits",
  input: z.object({ dataroomId: idSchema }),
  rest: {
    path: "/api/teams/{teamId}/datarooms/{id}/export-visits",
    operationId: "exportDataroomVisits",
    summary: "Export a dataroom's visits",
    params: { id: { field: "dataroomId", description: "The dataroom's id." } },
  },

  target: (input) => ({ resourceId: input.dataroomId }),

  async findResource(teamId, target) {
    const room = await db.dataroom.findFirst({ where: { id: target.resourceId, teamId }, select: { name: true } });
    if (!room) throw new AppError("NOT_FOUND", "No such dataroom");
    return { name: room.name };
  },

  layout: dataroomLayout,
  scope: async (target) => ({ views: { dataroomId: target.resourceId }, emptyVisits: { dataroomId: target.resourceId } }),
});
