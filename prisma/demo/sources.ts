/**
 * The demo data sources and the metrics that the export tests lean on: every row, a
 * GROUP BY, a query slow enough to cancel, a query that fails, and the same table on
 * MariaDB. Fixed ids make a second run a no-op; credentials are sealed with the vault key,
 * and they are the demo databases' read-only logins (demo-databases.ts), never the app's.
 */
import { type DataSourceType, type Prisma, type PrismaClient } from "~/generated/prisma/client";
import { openJson, sealJson } from "~/server/vault";

import { DEMO_TEAM_ID, OTHER_TEAM_ID } from "./accounts";
import { DEMO_METRICS_TABLE } from "./metrics-data";

export const DEMO_SOURCE_IDS = {
  postgres: "seed_source_postgres",
  mariadb: "seed_source_mariadb",
  otherPostgres: "seed_source_other_postgres",
} as const;

export const DEMO_METRIC_IDS = {
  allRows: "seed_metric_all_rows",
  revenueByDay: "seed_metric_revenue_by_day",
  slow: "seed_metric_slow",
  broken: "seed_metric_broken",
  mariadbAllRows: "seed_metric_mariadb_all_rows",
  otherTeam: "seed_metric_other_team",
} as const;

const DEMO_METRICS: ReadonlyArray<Omit<Prisma.MetricCreateManyInput, "teamId">> = [
  {
    id: DEMO_METRIC_IDS.allRows,
    dataSourceId: DEMO_SOURCE_IDS.postgres,
    name: "Demo metrics (all rows)",
    sql: `SELECT * FROM ${DEMO_METRICS_TABLE} ORDER BY id`,
  },
  {
    id: DEMO_METRIC_IDS.revenueByDay,
    dataSourceId: DEMO_SOURCE_IDS.postgres,
    name: "Revenue by day",
    sql: `SELECT (recorded_at AT TIME ZONE 'UTC')::date AS day, count(*) AS orders, sum(amount) AS revenue, sum(quantity) AS units
FROM ${DEMO_METRICS_TABLE}
GROUP BY 1
ORDER BY 1`,
  },
  { id: DEMO_METRIC_IDS.slow, dataSourceId: DEMO_SOURCE_IDS.postgres, name: "Slow query (30 s)", sql: "SELECT pg_sleep(30), 1 AS done" },
  { id: DEMO_METRIC_IDS.broken, dataSourceId: DEMO_SOURCE_IDS.postgres, name: "Broken query", sql: "SELECT * FROM no_such_table" },
  {
    id: DEMO_METRIC_IDS.mariadbAllRows,
    dataSourceId: DEMO_SOURCE_IDS.mariadb,
    name: "Demo metrics (MariaDB)",
    sql: `SELECT * FROM ${DEMO_METRICS_TABLE} ORDER BY id`,
  },
];

const OTHER_TEAM_METRIC: Omit<Prisma.MetricCreateManyInput, "teamId"> = {
  id: DEMO_METRIC_IDS.otherTeam,
  dataSourceId: DEMO_SOURCE_IDS.otherPostgres,
  name: "Other team's metric",
  sql: `SELECT id, category FROM ${DEMO_METRICS_TABLE} ORDER BY id LIMIT 100`,
};

export async function seedSources(
  db: PrismaClient,
  options: {
    /** The readers' URLs, which the sources are sealed with. */
    postgresUrl: string;
    mysqlUrl: string;
    vaultKey: string;
    /** What the seed sealed before the demo had databases of its own: the app's database and MariaDB's root. */
    formerUrls: readonly string[];
  },
): Promise<void> {
  const source = (id: string, teamId: string, name: string, type: DataSourceType, url: string) => ({
    id,
    teamId,
    name,
    type,
    encryptedCredentials: sealJson({ url }, options.vaultKey),
  });
  const sources = [
    source(DEMO_SOURCE_IDS.postgres, DEMO_TEAM_ID, "Demo PostgreSQL", "POSTGRES", options.postgresUrl),
    source(DEMO_SOURCE_IDS.mariadb, DEMO_TEAM_ID, "Demo MariaDB", "MYSQL", options.mysqlUrl),
    source(DEMO_SOURCE_IDS.otherPostgres, OTHER_TEAM_ID, "Other PostgreSQL", "POSTGRES", options.postgresUrl),
  ];
  await db.dataSource.createMany({ data: sources, skipDuplicates: true });
  // Sealed again: credentials this vault key cannot open (a database seeded by another
  // checkout, or before .local was wiped), with which every export would fail, and the former
  // credentials that reach the app's own database. Others this key opens may have been changed
  // on purpose and stay as they are.
  const stored = await db.dataSource.findMany({ where: { id: { in: sources.map((s) => s.id) } }, select: { id: true, encryptedCredentials: true } });
  for (const { id, encryptedCredentials } of stored) {
    const url = openedUrl(encryptedCredentials, options.vaultKey);
    if (url !== undefined && !options.formerUrls.includes(url)) continue;
    const fresh = sources.find((s) => s.id === id)!;
    await db.dataSource.update({ where: { id }, data: { encryptedCredentials: fresh.encryptedCredentials } });
  }
  const metrics = [...DEMO_METRICS.map((m) => ({ ...m, teamId: DEMO_TEAM_ID })), { ...OTHER_TEAM_METRIC, teamId: OTHER_TEAM_ID }];
  await db.metric.createMany({ data: metrics, skipDuplicates: true });
  // Each demo metric is its own version 1, with the id the versions migration gives a metric's first.
  await db.metricVersion.createMany({
    data: metrics.map((m) => ({ id: `${m.id}_v1`, metricId: m.id!, number: 1, sql: m.sql, dataSourceId: m.dataSourceId })),
    skipDuplicates: true,
  });
}

/** The URL inside sealed credentials, or undefined when this key cannot open them. */
function openedUrl(sealed: string | null, vaultKey: string): string | undefined {
  if (sealed === null) return undefined;
  try {
    const { url } = openJson(sealed, vaultKey) as { url?: unknown };
    return typeof url === "string" ? url : "";
  } catch {
    return undefined;
  }
}
