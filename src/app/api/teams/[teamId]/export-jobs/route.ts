import { listExportJobs } from "~/server/rest/export-routes";

export const dynamic = "force-dynamic";
export const GET = listExportJobs;
