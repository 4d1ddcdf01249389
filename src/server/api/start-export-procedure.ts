/**
 * Starting exports over tRPC, from the kinds' definitions: each kind's own procedure (the
 * ones clients have always called, e.g. `metrics.export`, `visits.exportDocument`) takes the
 * kind's input schema, and `exports.start` takes any kind's; every one takes the file's
 * `format` and `compression` too (formats/file-options.ts). The input schemas go straight to
 * `.input()` in the routers, so that tRPC infers each procedure's input from its kind.
 */
import { z } from "zod";

import { teamProcedure } from "~/server/api/trpc";
import type { ExportChannel } from "~/server/exports/job/export-job";
import { type FileOptions, fileOptionsShape, refineFileOptions } from "~/server/exports/formats/file-options";
import { type ExportKindDefinition, kindDefinition, kindInputSchema } from "~/server/exports/kinds";
import { outcomeEmailAtStart } from "~/server/exports/outcome-email/outcome-email";
import { startExportOf } from "~/server/exports/start-export";
import { idSchema } from "~/server/ids";
import { inngestExportQueue } from "~/server/jobs/inngest-export-queue";

/** What every start procedure takes besides the kind's input: a requestId, and what the file is to be. */
export const startInput = z.object({ requestId: idSchema.optional(), ...fileOptionsShape }).superRefine(refineFileOptions);

type StartInput = z.infer<typeof startInput>;

type StartContext = { caller: { userId: string }; team: { id: string }; channel: ExportChannel; origin?: string };

async function start(ctx: StartContext, { requestId, format, compression }: StartInput, kind: ExportKindDefinition, input: Record<string, unknown>, emailMe = false) {
  const requester = { userId: ctx.caller.userId, teamId: ctx.team.id, channel: ctx.channel, requestId };
  const file: FileOptions = { format, compression };
  const beforeRun = emailMe ? await outcomeEmailAtStart(inngestExportQueue, requester, kind, ctx.origin) : undefined;
  const job = await startExportOf(inngestExportQueue, requester, kind, kind.target(input), file, beforeRun);
  return { exportId: job.id, job };
}

/**
 * The resolver of `kind`'s own start procedure, whose input (`kind.input` and startInput)
 * tRPC has validated. It starts the export and returns at once; progress arrives through
 * exports.onProgress.
 */
export function startsExportOf(kind: ExportKindDefinition) {
  return ({ ctx, input }: { ctx: StartContext; input: StartInput & Record<string, unknown> }) => start(ctx, input, kind, input);
}

/**
 * Starts an export of any kind: `target` is the kind's id and its input, e.g. `{ kind: "metric", metricId }`.
 * `emailMe` asks for an email to the caller when it ends, as send-email does on a running one.
 */
export const startAnyExportProcedure = teamProcedure
  .input(z.object({ target: kindInputSchema, emailMe: z.boolean().optional() }))
  .input(startInput)
  .mutation(({ ctx, input: { target, emailMe, ...options } }) => {
    const { kind, ...fields } = target;
    return start(ctx, options, kindDefinition(kind), fields, emailMe);
  });
