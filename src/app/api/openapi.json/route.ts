import { openApiDocument } from "~/server/rest/openapi";

// Not prerendered: the document states the limits of the environment the app runs in, not
// those of the machine that built it.
export const dynamic = "force-dynamic";

export function GET() {
  return Response.json(openApiDocument());
}
