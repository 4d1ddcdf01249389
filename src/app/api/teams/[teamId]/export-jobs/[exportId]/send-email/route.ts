import { sendExportEmail } from "~/server/rest/export-routes";

export const dynamic = "force-dynamic";
export const POST = sendExportEmail;
