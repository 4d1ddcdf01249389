/**
 * The tRPC procedures that start exports, from the kinds' definitions: one per kind (the
 * procedures clients have always called, e.g. `metrics.export`, `visits.exportDocument`), each
 * taking its kind's input, and `exports.start`, which takes any kind's.
 */
import { z } from "zod";

import { teamProcedure } from "~/server/api/trpc";
import type { ExportChannel } from "~/server/exports/job/export-job";
import { type ExportKindDefinition, kindDefinition, type KindInput, kindInputSchema } from "~/server/exports/kinds";
import { startExport, startExportOf } from "~/server/exports/start-export";
import { idSchema } from "~/server/ids";
import { exportQueue } from "~/server/jobs/export-queue";

type StartContext = { caller: { userId: string }; team: { id: string }; channel: ExportChannel };

const requestIdInput = z.object({ requestId: idSchema.optional() });

const requesterOf = (ctx: StartContext, requestId: string | undefined) => ({ userId: ctx.caller.userId, teamId: ctx.team.id, channel: ctx.channel, requestId });

/** Starts an export of `kind` and returns at once; progress arrives through exports.onProgress. */
export function startExportProcedure<Kind extends ExportKindDefinition>(kind: Kind) {
  return teamProcedure
    .input(kind.input)
    .input(requestIdInput)
    .mutation(async ({ ctx, input }) => {
      const job = await startExportOf(exportQueue, requesterOf(ctx, input.requestId), kind, kind.target(input));
      return { exportId: job.id, job };
    });
}

/** Starts an export of any kind: `target` is the kind's id and its input, e.g. `{ kind: "metric", metricId }`. */
export const startAnyExportProcedure = teamProcedure
  .input(z.object({ target: kindInputSchema }))
  .input(requestIdInput)
  .mutation(async ({ ctx, input }) => {
    const { kind, ...fields }: KindInput = input.target;
    const job = await startExport(exportQueue, requesterOf(ctx, input.requestId), kindDefinition(kind), fields);
    return { exportId: job.id, job };
  });
