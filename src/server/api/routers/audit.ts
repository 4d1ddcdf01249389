import { z } from "zod";

import { ExportOutcome } from "~/generated/prisma/enums";
import { createTRPCRouter, teamAdminProcedure } from "~/server/api/trpc";
import { listAuditEvents } from "~/server/audit/list-audit-events";
import { listScheduleChanges } from "~/server/audit/schedule-audit";
import { exportChannels, exportKinds } from "~/server/exports/job/export-job";
import { idSchema } from "~/server/ids";

export const auditRouter = createTRPCRouter({
  /** The team's export audit log, newest first; pass back `nextCursor` for the next page. */
  list: teamAdminProcedure
    .input(
      z.object({
        limit: z.number().int().min(1).max(100).default(50),
        cursor: z.string().max(200).nullish(),
        outcome: z.enum(ExportOutcome).optional(),
        kind: z.enum(exportKinds).optional(),
        channel: z.enum(exportChannels).optional(),
        userId: idSchema.optional(),
        from: z.date().optional(),
        to: z.date().optional(),
        resource: z.string().trim().max(200).optional(),
      }),
    )
    .query(({ ctx, input: { limit, cursor, resource, ...filter } }) =>
      listAuditEvents(ctx.team.id, { ...filter, resource: resource || undefined }, { limit, cursor }),
    ),

  /** Who created, changed, paused, resumed, deleted or ran the team's schedules, newest first. */
  scheduleChanges: teamAdminProcedure
    .input(z.object({ limit: z.number().int().min(1).max(100).default(50), scheduleId: idSchema.optional() }))
    .query(({ ctx, input }) => listScheduleChanges(ctx.team.id, input)),
});
