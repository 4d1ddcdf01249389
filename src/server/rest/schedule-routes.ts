/**
 * The schedules REST API (issue 14): thin handlers over src/server/schedules, behind
 * `teamRoute` for auth, membership and the one error shape.
 */
import type { z } from "zod";

import { inngestExportQueue } from "~/server/jobs/inngest-export-queue";
import { inngestScheduleQueue } from "~/server/jobs/inngest-schedule-queue";
import { listQuery } from "~/server/rest/export-routes";
import { teamRoute } from "~/server/rest/handler";
import { readJsonBody } from "~/server/rest/request-body";
import {
  createSchedule,
  deleteSchedule,
  getSchedule,
  listScheduleRuns,
  listSchedules,
  runScheduleNow,
  updateSchedule,
} from "~/server/schedules/manage-schedules";
import { createScheduleInput, updateScheduleInput } from "~/server/schedules/schedule-input";

type TeamParams = { teamId: string };
type ScheduleParams = TeamParams & { scheduleId: string };

export const listTeamSchedules = teamRoute<TeamParams>(async ({ params }) => Response.json({ schedules: await listSchedules(params.teamId) }));

/** `201` with the schedule, and its `signingSecret` this once when it has a webhook. */
export const createTeamSchedule = teamRoute<TeamParams>(async ({ req, params, caller, role }) => {
  const input = await readJsonBody(req, createScheduleInput);
  return Response.json(await createSchedule({ userId: caller.userId, teamId: params.teamId, role }, input), { status: 201 });
});

export const getTeamSchedule = teamRoute<ScheduleParams>(async ({ params }) => Response.json(await getSchedule(params.teamId, params.scheduleId)));

export const updateTeamSchedule = teamRoute<ScheduleParams>(async ({ req, params, caller, role }) => {
  const input = await readJsonBody(req, updateScheduleInput);
  return Response.json(await updateSchedule({ userId: caller.userId, teamId: params.teamId, role }, params.scheduleId, input));
});

export const deleteTeamSchedule = teamRoute<ScheduleParams>(async ({ params, caller, role }) => {
  await deleteSchedule({ userId: caller.userId, teamId: params.teamId, role }, params.scheduleId);
  return new Response(null, { status: 204 });
});

/** `202 { exportId }`: the run has started; poll the export job, or the runs, for its end. */
export const runTeamSchedule = teamRoute<ScheduleParams>(async ({ params, caller, role }) => {
  const queues = { exports: inngestExportQueue, schedules: inngestScheduleQueue };
  const { exportId, runId } = await runScheduleNow(queues, { userId: caller.userId, teamId: params.teamId, role }, params.scheduleId);
  return Response.json({ exportId, runId }, { status: 202 });
});

export const listTeamScheduleRuns = teamRoute<ScheduleParams, z.infer<typeof listQuery>>(
  async ({ params, query }) => Response.json(await listScheduleRuns(params.teamId, params.scheduleId, query)),
  { query: listQuery },
);
