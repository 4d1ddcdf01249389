import { tracked } from "@trpc/server";
import { setTimeout as sleep } from "node:timers/promises";
import { z } from "zod";

import { startAnyExportProcedure } from "~/server/api/start-export-procedure";
import { createTRPCRouter, teamMember, teamProcedure, toTRPCError } from "~/server/api/trpc";
import { isAppError } from "~/server/errors";
import {
  cancelExport,
  createDownloadLink,
  deleteExport,
  getExport,
  listExports,
  retryExport,
} from "~/server/exports/manage-export";
import { isTerminal } from "~/server/exports/job/export-job";
import { requestOutcomeEmail } from "~/server/exports/outcome-email/outcome-email";
import { idSchema } from "~/server/ids";
import { inngestExportQueue } from "~/server/jobs/inngest-export-queue";

const exportId = z.object({ exportId: idSchema });
const PROGRESS_POLL_MS = 500;

export const exportsRouter = createTRPCRouter({
  start: startAnyExportProcedure,

  list: teamProcedure
    .input(z.object({ limit: z.number().int().min(1).max(100).default(20), offset: z.number().int().min(0).default(0) }))
    .query(({ ctx, input }) => listExports(ctx.team.id, { limit: input.limit, offset: input.offset })),

  get: teamProcedure.input(exportId).query(({ ctx, input }) => getExport(ctx.team.id, input.exportId)),

  cancel: teamProcedure.input(exportId).mutation(({ ctx, input }) => cancelExport(inngestExportQueue, teamMember(ctx), input.exportId)),

  delete: teamProcedure.input(exportId).mutation(async ({ ctx, input }) => {
    await deleteExport(inngestExportQueue, teamMember(ctx), input.exportId);
    return { ok: true as const };
  }),

  retry: teamProcedure
    .input(exportId.extend({ requestId: idSchema.optional() }))
    .mutation(({ ctx, input }) =>
      retryExport(inngestExportQueue, { ...teamMember(ctx), channel: ctx.channel, requestId: input.requestId }, input.exportId),
    ),

  /** "Email me when ready": the caller's own address gets the outcome of this running export (REST's send-email). */
  sendEmail: teamProcedure
    .input(exportId)
    .mutation(({ ctx, input }) => requestOutcomeEmail(inngestExportQueue, teamMember(ctx), input.exportId, ctx.origin)),

  /** A fresh link on every call, never cached: it lives 60 seconds, or less if the file goes sooner. */
  downloadUrl: teamProcedure.input(exportId).mutation(async ({ ctx, input }) => {
    const link = await createDownloadLink(ctx.team.id, input.exportId);
    return { url: link.url, expiresAt: link.expiresAt, fileName: link.file.name, fileSize: link.file.size, rowCount: link.file.rowCount, truncated: link.file.truncated };
  }),

  /**
   * Streams the job every time it changes, until it ends. It reads the job store rather than
   * a pub/sub channel, so it works the same over Upstash's HTTP API and plain Redis. A job
   * that does not exist, or stops existing while watched, ends the stream with NOT_FOUND:
   * errors raised inside a running stream bypass the procedure's middleware, so the domain
   * error is mapped here.
   */
  onProgress: teamProcedure.input(exportId).subscription(async function* ({ ctx, input, signal }) {
    let last = "";
    while (!signal?.aborted) {
      const job = await getExport(ctx.team.id, input.exportId).catch((error: unknown) => {
        throw isAppError(error) ? toTRPCError(error) : error;
      });
      const stamp = `${job.status}|${job.updatedAt}|${job.progress?.rows}|${job.progress?.bytes}|${job.file?.deletedAt}`;
      if (stamp !== last) {
        last = stamp;
        yield tracked(stamp, job);
      }
      if (isTerminal(job.status)) return;
      await sleep(PROGRESS_POLL_MS, undefined, { signal }).catch(() => {});
    }
  }),
});
