import { listTeamScheduleRuns } from "~/server/rest/schedule-routes";

export const dynamic = "force-dynamic";
export const GET = listTeamScheduleRuns;
