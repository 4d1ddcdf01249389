/**
 * A metric's versions, through tRPC as the UI and the typed client call it, on the real
 * PostgreSQL: each change of SQL or data source makes the next version, concurrent edits never
 * share a number, and the migration makes every metric that existed before it its version 1.
 */
import { readdir, readFile } from "node:fs/promises";
import path from "node:path";

import pg from "pg";
import { afterAll, describe, expect, it } from "vitest";

import { createTeamWithUser, sessionCaller, trpcAs, uniqueName } from "./support/fixtures";
import { TEST_DATABASE_URL, TEST_POSTGRES_ADMIN_URL, TEST_SOURCE_DATABASE_URL as PG_URL, withDatabase } from "./support/test-env";

const VERSIONS_MIGRATION = "20261203030000_metric_versions";
const MIGRATIONS_DIR = path.resolve(import.meta.dirname, "../prisma/migrations");

async function teamWithTwoSources() {
  const { team, user } = await createTeamWithUser("OWNER");
  const trpc = trpcAs(sessionCaller(user.id));
  const create = () => trpc.dataSources.create({ teamId: team.id, name: uniqueName("source"), type: "POSTGRES", credentials: { url: PG_URL } });
  return { team, trpc, first: await create(), second: await create() };
}

describe("metric versions", () => {
  it("makes version 1 on create and the next on each change of SQL or data source, and none for a rename or the same SQL", async () => {
    const { team, trpc, first, second } = await teamWithTwoSources();
    const metric = await trpc.metrics.create({ teamId: team.id, name: "Orders", sql: "SELECT 1 AS n", dataSourceId: first.id });
    expect(metric.version).toBe(1);
    await trpc.metrics.update({ teamId: team.id, metricId: metric.id, sql: "SELECT 2 AS n" });
    await trpc.metrics.update({ teamId: team.id, metricId: metric.id, dataSourceId: second.id });
    await trpc.metrics.update({ teamId: team.id, metricId: metric.id, name: "Orders (EU)" });
    const unchanged = await trpc.metrics.update({ teamId: team.id, metricId: metric.id, sql: "SELECT 2 AS n" });
    expect(unchanged.version).toBe(3);

    const versions = await trpc.metrics.versions({ teamId: team.id, metricId: metric.id });
    expect(versions.map((v) => ({ number: v.number, sql: v.sql, source: v.dataSource?.id }))).toEqual([
      { number: 3, sql: "SELECT 2 AS n", source: second.id },
      { number: 2, sql: "SELECT 2 AS n", source: first.id },
      { number: 1, sql: "SELECT 1 AS n", source: first.id },
    ]);
    expect(versions[0]!.createdAt.getTime()).toBeGreaterThanOrEqual(versions[2]!.createdAt.getTime());
    expect((await trpc.metrics.list({ teamId: team.id })).find((m) => m.id === metric.id)?.version).toBe(3);
  });

  it("gives concurrent edits distinct, consecutive numbers", async () => {
    const { team, trpc, first } = await teamWithTwoSources();
    const metric = await trpc.metrics.create({ teamId: team.id, name: "Busy", sql: "SELECT 0 AS n", dataSourceId: first.id });
    await Promise.all([1, 2, 3, 4, 5].map((n) => trpc.metrics.update({ teamId: team.id, metricId: metric.id, sql: `SELECT ${n} AS n` })));
    const versions = await trpc.metrics.versions({ teamId: team.id, metricId: metric.id });
    expect(versions.map((v) => v.number)).toEqual([6, 5, 4, 3, 2, 1]);
    // The metric's own SQL is its latest version's.
    expect((await trpc.metrics.get({ teamId: team.id, metricId: metric.id })).sql).toBe(versions[0]!.sql);
  });

  it("refuses, as NOT_FOUND that says why, an unknown version, a version whose data source was deleted, and another team's metric", async () => {
    const { team, trpc, first, second } = await teamWithTwoSources();
    const metric = await trpc.metrics.create({ teamId: team.id, name: "Moved", sql: "SELECT 1 AS n", dataSourceId: first.id });
    await trpc.metrics.update({ teamId: team.id, metricId: metric.id, dataSourceId: second.id });
    await trpc.dataSources.delete({ teamId: team.id, dataSourceId: first.id });

    const versions = await trpc.metrics.versions({ teamId: team.id, metricId: metric.id });
    expect(versions.map((v) => [v.number, v.dataSource?.id ?? null])).toEqual([
      [2, second.id],
      [1, null],
    ]);
    await expect(trpc.metrics.export({ teamId: team.id, metricId: metric.id, metricVersionNumber: 1 })).rejects.toMatchObject({
      code: "NOT_FOUND",
      message: "The data source of the metric's version 1 was deleted",
    });
    await expect(trpc.metrics.export({ teamId: team.id, metricId: metric.id, metricVersionNumber: 3 })).rejects.toMatchObject({
      code: "NOT_FOUND",
      message: "The metric has no version 3",
    });
    await expect(trpc.metrics.export({ teamId: team.id, metricId: metric.id, metricVersionNumber: 0 })).rejects.toMatchObject({ code: "BAD_REQUEST" });
    expect((await trpc.exports.list({ teamId: team.id })).total).toBe(0);

    const stranger = await createTeamWithUser("OWNER");
    await expect(trpcAs(sessionCaller(stranger.user.id)).metrics.versions({ teamId: stranger.team.id, metricId: metric.id })).rejects.toMatchObject({ code: "NOT_FOUND" });
  });
});

describe(`migration ${VERSIONS_MIGRATION}`, () => {
  const database = `ec_versions_backfill_${process.pid}_${Date.now()}`;
  const url = withDatabase(TEST_DATABASE_URL, database);

  afterAll(async () => {
    const admin = new pg.Client({ connectionString: TEST_POSTGRES_ADMIN_URL });
    await admin.connect();
    await admin.query(`DROP DATABASE IF EXISTS "${database}" WITH (FORCE)`);
    await admin.end();
  });

  it("makes every metric that existed before it its own version 1, with its SQL, data source and creation time", async () => {
    const admin = new pg.Client({ connectionString: TEST_POSTGRES_ADMIN_URL });
    await admin.connect();
    await admin.query(`CREATE DATABASE "${database}"`);
    await admin.end();

    const client = new pg.Client({ connectionString: url });
    await client.connect();
    try {
      const folders = (await readdir(MIGRATIONS_DIR, { withFileTypes: true })).filter((d) => d.isDirectory()).map((d) => d.name).sort();
      const before = folders.filter((name) => name < VERSIONS_MIGRATION);
      for (const name of before) await client.query(await readFile(path.join(MIGRATIONS_DIR, name, "migration.sql"), "utf8"));

      await client.query(`INSERT INTO "Team" ("id", "name", "updatedAt") VALUES ('t1', 'Team', now())`);
      await client.query(`INSERT INTO "DataSource" ("id", "teamId", "name", "type", "updatedAt") VALUES ('s1', 't1', 'PG', 'POSTGRES', now())`);
      await client.query(
        `INSERT INTO "Metric" ("id", "teamId", "dataSourceId", "name", "sql", "createdAt", "updatedAt")
         VALUES ('m1', 't1', 's1', 'One', 'SELECT 1', '2026-01-02T03:04:05Z', now()), ('m2', 't1', 's1', 'Two', 'SELECT 2', '2026-02-03T04:05:06Z', now())`,
      );

      await client.query(await readFile(path.join(MIGRATIONS_DIR, VERSIONS_MIGRATION, "migration.sql"), "utf8"));

      const { rows } = await client.query(`SELECT "metricId", "number", "sql", "dataSourceId", "createdAt" FROM "MetricVersion" ORDER BY "metricId"`);
      expect(rows).toEqual([
        { metricId: "m1", number: 1, sql: "SELECT 1", dataSourceId: "s1", createdAt: new Date("2026-01-02T03:04:05Z") },
        { metricId: "m2", number: 1, sql: "SELECT 2", dataSourceId: "s1", createdAt: new Date("2026-02-03T04:05:06Z") },
      ]);
    } finally {
      await client.end();
    }
  });
});
