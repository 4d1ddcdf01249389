/**
 * Demo data for development, the end-to-end tests and anyone trying the app: two teams and
 * their users, a `demo_metrics` table in PostgreSQL and MariaDB with the data sources and
 * metrics that query it, and documents, a dataroom and visits for the visit exports.
 *
 *   npm run db:seed      seeds DATABASE_URL (migrate it first: npm run db:migrate)
 *
 * Running it again changes nothing: every record has a fixed id or natural key and only
 * missing ones are inserted. MariaDB (DEMO_MYSQL_URL) is optional: without it the seed
 * warns and leaves its table out.
 */
import path from "node:path";
import { fileURLToPath } from "node:url";

import { PrismaPg } from "@prisma/adapter-pg";

import { getEnv } from "~/env";
import { PrismaClient } from "~/generated/prisma/client";

import { DEMO_TEAM_ID, type DemoUserKey, OTHER_TEAM_ID, seedAccounts } from "./demo/accounts";
import { demoMetricRows } from "./demo/metrics-data";
import { loadMysqlDemoMetrics, loadPostgresDemoMetrics, MysqlUnavailableError } from "./demo/metrics-tables";
import { seedSources } from "./demo/sources";
import { seedVisits } from "./demo/visits";

const DEFAULT_DEMO_MYSQL_URL = "mysql://root@127.0.0.1:3306/export_center_demo";

export interface SeedOptions {
  databaseUrl: string;
  /** The MariaDB/MySQL database of the "Demo MariaDB" source; created if missing. */
  mysqlUrl: string;
  vaultKey: string;
  log: (line: string) => void;
}

export interface SeedSummary {
  demoTeamId: string;
  otherTeamId: string;
  userIds: Record<DemoUserKey, string>;
  /** Rows in each `demo_metrics` table; null when MariaDB could not be reached. */
  demoMetricRows: { postgres: number; mysql: number | null };
  views: number;
  pageViews: number;
  durationMs: number;
}

function resolveOptions(options: Partial<SeedOptions>): SeedOptions {
  return {
    databaseUrl: options.databaseUrl ?? getEnv().DATABASE_URL,
    mysqlUrl: options.mysqlUrl ?? (process.env.DEMO_MYSQL_URL || DEFAULT_DEMO_MYSQL_URL),
    vaultKey: options.vaultKey ?? getEnv().VAULT_KEY,
    log: options.log ?? ((line) => console.log(`[seed] ${line}`)),
  };
}

async function loadMysqlOrWarn(options: SeedOptions, rows: ReturnType<typeof demoMetricRows>): Promise<number | null> {
  try {
    return await loadMysqlDemoMetrics(options.mysqlUrl, rows);
  } catch (error) {
    if (!(error instanceof MysqlUnavailableError)) throw error;
    options.log(`warning: ${error.message}; the "Demo MariaDB" source will fail until it is (set DEMO_MYSQL_URL)`);
    return null;
  }
}

export async function seed(partial: Partial<SeedOptions> = {}): Promise<SeedSummary> {
  const started = Date.now();
  const options = resolveOptions(partial);
  const db = new PrismaClient({ adapter: new PrismaPg({ connectionString: options.databaseUrl }) });
  try {
    const userIds = await seedAccounts(db);
    await seedSources(db, { postgresUrl: options.databaseUrl, mysqlUrl: options.mysqlUrl, vaultKey: options.vaultKey });
    const visits = await seedVisits(db);
    const rows = demoMetricRows();
    const [postgres, mysql] = await Promise.all([
      loadPostgresDemoMetrics(options.databaseUrl, rows),
      loadMysqlOrWarn(options, rows),
    ]);
    const summary: SeedSummary = {
      demoTeamId: DEMO_TEAM_ID,
      otherTeamId: OTHER_TEAM_ID,
      userIds,
      demoMetricRows: { postgres, mysql },
      views: visits.views.length,
      pageViews: visits.pageViews.length,
      durationMs: Date.now() - started,
    };
    options.log(
      `Demo Team ${summary.demoTeamId} (demo@example.com ${userIds.demo}, member@example.com ${userIds.member}); ` +
        `Other Team ${summary.otherTeamId} (other@example.com ${userIds.other}); ` +
        `demo_metrics: ${postgres} rows in PostgreSQL, ${mysql ?? "no"} rows in MariaDB; ` +
        `${summary.views} views, ${summary.pageViews} page views; ${summary.durationMs} ms`,
    );
    return summary;
  } finally {
    await db.$disconnect();
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === path.resolve(process.argv[1])) {
  seed().catch((error: Error) => {
    console.error(`db:seed: ${error.message}`);
    process.exit(1);
  });
}
