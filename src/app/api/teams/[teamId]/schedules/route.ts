import { createTeamSchedule, listTeamSchedules } from "~/server/rest/schedule-routes";

export const dynamic = "force-dynamic";
export const GET = listTeamSchedules;
export const POST = createTeamSchedule;
