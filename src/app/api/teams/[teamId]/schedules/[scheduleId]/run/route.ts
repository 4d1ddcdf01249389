import { runTeamSchedule } from "~/server/rest/schedule-routes";

export const dynamic = "force-dynamic";
export const POST = runTeamSchedule;
