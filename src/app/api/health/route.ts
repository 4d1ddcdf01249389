import { db } from "~/server/db";

export const dynamic = "force-dynamic";

/** Readiness: the app answers and its database is reachable. */
export async function GET() {
  try {
    await db.$queryRaw`SELECT 1`;
    return Response.json({ ok: true });
  } catch {
    return Response.json({ ok: false, error: "database unreachable" }, { status: 503 });
  }
}
