import { z } from "zod";

import { createTRPCRouter, teamProcedure } from "~/server/api/trpc";
import { startVisitExport, type VisitTarget } from "~/server/exports/start-export";
import { listVisitResources } from "~/server/exports/visits/visit-resources";
import type { ExportChannel } from "~/server/exports/job/export-job";
import { idSchema } from "~/server/ids";

const requestId = idSchema.optional();

export const visitsRouter = createTRPCRouter({
  resources: teamProcedure.query(({ ctx }) => listVisitResources(ctx.team.id)),

  exportDocument: teamProcedure
    .input(z.object({ documentId: idSchema, requestId }))
    .mutation(({ ctx, input }) => start(ctx, input.requestId, { kind: "document", documentId: input.documentId })),

  exportDataroom: teamProcedure
    .input(z.object({ dataroomId: idSchema, requestId }))
    .mutation(({ ctx, input }) => start(ctx, input.requestId, { kind: "dataroom", dataroomId: input.dataroomId })),

  exportGroup: teamProcedure
    .input(z.object({ dataroomId: idSchema, groupId: idSchema, requestId }))
    .mutation(({ ctx, input }) =>
      start(ctx, input.requestId, { kind: "dataroom-group", dataroomId: input.dataroomId, groupId: input.groupId }),
    ),
});

async function start(
  ctx: { caller: { userId: string }; team: { id: string }; channel: ExportChannel },
  requestId: string | undefined,
  target: VisitTarget,
) {
  const job = await startVisitExport({ userId: ctx.caller.userId, teamId: ctx.team.id, channel: ctx.channel, requestId }, target);
  return { exportId: job.id, job };
}
