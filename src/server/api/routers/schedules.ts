import { z } from "zod";

import { createTRPCRouter, teamMember, teamProcedure } from "~/server/api/trpc";
import { idSchema } from "~/server/ids";
import { inngestExportQueue } from "~/server/jobs/inngest-export-queue";
import { inngestScheduleQueue } from "~/server/jobs/inngest-schedule-queue";
import {
  createSchedule,
  deleteSchedule,
  getSchedule,
  listScheduleRuns,
  listSchedules,
  runScheduleNow,
  updateSchedule,
} from "~/server/schedules/manage-schedules";
import { destinationInput } from "~/server/schedules/destinations";
import { createScheduleInput, scheduleRunsQuery, updateScheduleInput } from "~/server/schedules/schedule-input";
import { testDestination } from "~/server/schedules/test-destination";

const scheduleId = z.object({ scheduleId: idSchema });

export const schedulesRouter = createTRPCRouter({
  list: teamProcedure.query(({ ctx }) => listSchedules(ctx.team.id)),
  get: teamProcedure.input(scheduleId).query(({ ctx, input }) => getSchedule(ctx.team.id, input.scheduleId)),
  /** The only answer, with an update that adds the first webhook, that carries `signingSecret`. */
  create: teamProcedure.input(z.object({ schedule: createScheduleInput })).mutation(({ ctx, input }) => createSchedule(teamMember(ctx), input.schedule)),
  update: teamProcedure
    .input(scheduleId.extend({ changes: updateScheduleInput }))
    .mutation(({ ctx, input }) => updateSchedule(teamMember(ctx), input.scheduleId, input.changes)),
  delete: teamProcedure.input(scheduleId).mutation(async ({ ctx, input }) => {
    await deleteSchedule(teamMember(ctx), input.scheduleId);
    return { ok: true as const };
  }),
  runNow: teamProcedure
    .input(scheduleId)
    .mutation(({ ctx, input }) => runScheduleNow({ exports: inngestExportQueue, schedules: inngestScheduleQueue }, teamMember(ctx), input.scheduleId)),
  /** Delivers a sample report to a destination as the form holds it; the destination's own answer, nothing stored. */
  testDestination: teamProcedure
    .input(z.object({ destination: destinationInput, scheduleId: idSchema.optional() }))
    .mutation(({ ctx, input }) => testDestination(teamMember(ctx), input)),
  runs: teamProcedure.input(scheduleId.extend(scheduleRunsQuery.shape)).query(({ ctx, input }) => listScheduleRuns(ctx.team.id, input.scheduleId, input)),
});
