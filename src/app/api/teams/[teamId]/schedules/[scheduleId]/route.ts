import { deleteTeamSchedule, getTeamSchedule, updateTeamSchedule } from "~/server/rest/schedule-routes";

export const dynamic = "force-dynamic";
export const GET = getTeamSchedule;
export const PATCH = updateTeamSchedule;
export const DELETE = deleteTeamSchedule;
