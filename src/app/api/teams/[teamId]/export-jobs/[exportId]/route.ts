import { cancelExportJob, deleteExportJob, getExportJob } from "~/server/rest/export-routes";

export const dynamic = "force-dynamic";
export const GET = getExportJob;
export const PATCH = cancelExportJob;
export const DELETE = deleteExportJob;
