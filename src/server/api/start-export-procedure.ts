/**
 * Starting exports over tRPC, from the kinds' definitions: each kind's own procedure (the
 * ones clients have always called, e.g. `metrics.export`, `visits.exportDocument`) takes the
 * kind's input schema, and `exports.start` takes any kind's. The input schemas go straight to
 * `.input()` in the routers, so that tRPC infers each procedure's input from its kind.
 */
import { z } from "zod";

import { teamProcedure } from "~/server/api/trpc";
import type { ExportChannel } from "~/server/exports/job/export-job";
import { type ExportKindDefinition, kindDefinition, kindInputSchema } from "~/server/exports/kinds";
import { outcomeEmailAtStart } from "~/server/exports/outcome-email/outcome-email";
import { startExportOf } from "~/server/exports/start-export";
import { idSchema } from "~/server/ids";
import { inngestExportQueue } from "~/server/jobs/inngest-export-queue";

/** What every start procedure takes besides the kind's input. */
export const requestIdInput = z.object({ requestId: idSchema.optional() });

type StartContext = { caller: { userId: string }; team: { id: string }; channel: ExportChannel; origin?: string };

async function start(ctx: StartContext, requestId: string | undefined, kind: ExportKindDefinition, input: Record<string, unknown>, emailMe = false) {
  const requester = { userId: ctx.caller.userId, teamId: ctx.team.id, channel: ctx.channel, requestId };
  const beforeRun = emailMe ? await outcomeEmailAtStart(inngestExportQueue, requester, kind, ctx.origin) : undefined;
  const job = await startExportOf(inngestExportQueue, requester, kind, kind.target(input), {}, beforeRun);
  return { exportId: job.id, job };
}

/**
 * The resolver of `kind`'s own start procedure, whose input (`kind.input` and requestIdInput)
 * tRPC has validated. It starts the export and returns at once; progress arrives through
 * exports.onProgress.
 */
export function startsExportOf(kind: ExportKindDefinition) {
  return ({ ctx, input }: { ctx: StartContext; input: { requestId?: string } & Record<string, unknown> }) => start(ctx, input.requestId, kind, input);
}

/**
 * Starts an export of any kind: `target` is the kind's id and its input, e.g. `{ kind: "metric", metricId }`.
 * `emailMe` asks for an email to the caller when it ends, as send-email does on a running one.
 */
export const startAnyExportProcedure = teamProcedure
  .input(z.object({ target: kindInputSchema, emailMe: z.boolean().optional() }))
  .input(requestIdInput)
  .mutation(({ ctx, input: { target, requestId, emailMe } }) => {
    const { kind, ...fields } = target;
    return start(ctx, requestId, kindDefinition(kind), fields, emailMe);
  });
