// The original's local-development docs call this path; it is the same endpoint.
export { GET, HEAD } from "~/app/api/v2/metric_files/[id]/download/route";

export const maxDuration = 150;
export const dynamic = "force-dynamic";
