/** The visits of one group of a dataroom: its members' and its links'. */
import { z } from "zod";

import { db } from "~/server/db";
import { AppError } from "~/server/errors";
import { idSchema } from "~/server/ids";
import { dataroomLayout } from "~/server/exports/visits/visit-file";

import { defineVisitKind } from "./visit-kind";

export const dataroomGroupKind = defineVisitKind({
  id: "dataroom-group",
  label: "Group visits",
  input: z.object({ dataroomId: idSchema, groupId: idSchema }),
  rest: {
    path: "/api/teams/{teamId}/datarooms/{id}/groups/{groupId}/export-visits",
    operationId: "exportGroupVisits",
    summary: "Export the visits of a dataroom's group",
    params: {
      id: { field: "dataroomId", description: "The dataroom's id." },
      groupId: { field: "groupId", description: "The group's id." },
    },
  },

  target: (input) => ({ resourceId: input.dataroomId, groupId: input.groupId }),

  async findResource(teamId, target) {
    const room = await db.dataroom.findFirst({ where: { id: target.resourceId, teamId }, select: { id: true, name: true } });
    if (!room) throw new AppError("NOT_FOUND", "No such dataroom");
    const group = await db.dataroomGroup.findFirst({ where: { id: target.groupId, dataroomId: room.id }, select: { name: true } });
    if (!group) throw new AppError("NOT_FOUND", "No such group in this dataroom");
    return { name: `${room.name} — ${group.name}` };
  },

  layout: dataroomLayout,

  /** A group's views, and its visits, are those of its members and of its links, within its dataroom. */
  async scope(target) {
    const members = await db.dataroomGroupMember.findMany({ where: { groupId: target.groupId }, select: { email: true } });
    const ofGroup = {
      dataroomId: target.resourceId,
      OR: [
        { groupId: target.groupId },
        { link: { groupId: target.groupId } },
        ...(members.length ? [{ viewerEmail: { in: members.map((m) => m.email), mode: "insensitive" as const } }] : []),
      ],
    };
    return { views: ofGroup, emptyVisits: ofGroup };
  },
});
