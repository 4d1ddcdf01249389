import { tracked } from "@trpc/server";
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
import type { ExportJob } from "~/server/exports/job/export-job";
import { requestOutcomeEmail } from "~/server/exports/outcome-email/outcome-email";
import { idSchema } from "~/server/ids";
import { inngestExportQueue } from "~/server/jobs/inngest-export-queue";
import { getJobFeed } from "~/server/services";

const exportId = z.object({ exportId: idSchema });

/**
 * A job change as an SSE event: its id lets a reconnecting client resume (tRPC sends it back as
 * lastEventId), and tells one state from the next. Errors raised inside a running stream bypass
 * the procedure's middleware, so a domain error is mapped here.
 */
async function* streamJobs(jobs: AsyncGenerator<ExportJob>) {
  try {
    for await (const job of jobs) {
      yield tracked(`${job.id}|${job.status}|${job.updatedAt}|${job.progress?.rows}|${job.progress?.bytes}|${job.file?.deletedAt}`, job);
    }
  } catch (error) {
    throw isAppError(error) ? toTRPCError(error) : error;
  }
}

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
   * Streams the job every time it changes, until it ends (job-feed.ts: pushed over pub/sub, or
   * one shared poller per process over Upstash's HTTP API). A job that does not exist, or stops
   * existing while watched, ends the stream with NOT_FOUND.
   */
  onProgress: teamProcedure.input(exportId).subscription(({ ctx, input, signal }) => streamJobs(getJobFeed().watchJob(ctx.team.id, input.exportId, signal))),

  /**
   * Every change of the team's jobs, for the export center's whole list at once: first the
   * running ones, then each change as it happens. Members see what `list` shows them.
   */
  onTeamProgress: teamProcedure.subscription(({ ctx, signal }) => streamJobs(getJobFeed().watchTeam(ctx.team.id, signal))),
});
