/**
 * Test helpers that use the app's own modules. Import this only after the export harness has
 * set the environment (see export-harness.ts).
 */
import pg from "pg";

import type { DataSourceType } from "~/generated/prisma/client";
import { waitForExport } from "~/server/exports/manage-export";

import { eventually } from "./assertions";
import { createTeamWithUser, sessionCaller, trpcAs, uniqueName } from "./fixtures";
import { TEST_POSTGRES_ADMIN_URL } from "./test-env";

/** Polls `check` until it holds, and fails the test if it has not within `timeoutMs`. */
export async function waitFor(check: () => Promise<boolean>, timeoutMs: number, pollMs = 100): Promise<void> {
  if (!(await eventually(check, timeoutMs, pollMs))) throw new Error(`Condition not met within ${timeoutMs} ms`);
}

/** Whether PostgreSQL is still running a query containing `text` (other than this probe). */
export async function activeQueries(text: string): Promise<boolean> {
  const client = new pg.Client({ connectionString: TEST_POSTGRES_ADMIN_URL });
  await client.connect();
  const { rowCount } = await client.query(
    "SELECT 1 FROM pg_stat_activity WHERE state = 'active' AND query LIKE $1 AND pid <> pg_backend_pid()",
    [`%${text}%`],
  );
  await client.end();
  return (rowCount ?? 0) > 0;
}

/** A fresh team with an owner, a data source of the given type, and a tRPC caller as the owner. */
export async function teamWithSource(type: DataSourceType, credentials: Record<string, unknown>) {
  const { team, user } = await createTeamWithUser("OWNER");
  const trpc = trpcAs(sessionCaller(user.id));
  const source = await trpc.dataSources.create({ teamId: team.id, name: uniqueName("source"), type, credentials });
  return {
    id: team.id,
    user,
    trpc,
    source,
    metric: (sql: string, name = uniqueName("metric")) => trpc.metrics.create({ teamId: team.id, name, sql, dataSourceId: source.id }),
    async exportAndWait(metricId: string, timeoutMs = 60_000) {
      const { exportId } = await trpc.metrics.export({ teamId: team.id, metricId });
      return waitForExport(team.id, exportId, { timeoutMs });
    },
  };
}
