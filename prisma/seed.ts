/**
 * Demo data for development, the end-to-end tests and anyone trying the app: two teams and
 * their users, a `demo_metrics` table in demo databases of its own on PostgreSQL and MariaDB
 * with the data sources (read-only logins) and metrics that query it, and documents, a
 * dataroom and visits for the visit exports.
 *
 *   npm run db:seed      seeds DATABASE_URL (migrate it first: npm run db:migrate)
 *
 * Running it again changes nothing: every record has a fixed id or natural key and only
 * missing ones are inserted. MariaDB (DEMO_MYSQL_URL) is optional: without it the seed
 * warns and leaves its table out. The demo databases are DEMO_POSTGRES_URL and
 * DEMO_MYSQL_URL, by default `<DATABASE_URL's database>_demo` on each server
 * (prisma/demo/demo-databases.ts).
 */
import path from "node:path";
import { fileURLToPath } from "node:url";

import { PrismaPg } from "@prisma/adapter-pg";

import { getEnv } from "~/env";
import { PrismaClient } from "~/generated/prisma/client";

import { DEMO_TEAM_ID, type DemoUserKey, OTHER_TEAM_ID, seedAccounts } from "./demo/accounts";
import { databaseName, defaultDemoMysqlUrl, defaultDemoPostgresUrl, mysqlReaderUrl, postgresReaderUrl } from "./demo/demo-databases";
import { demoMetricRows } from "./demo/metrics-data";
import { loadMysqlDemoMetrics, loadPostgresDemoMetrics, MysqlUnavailableError } from "./demo/metrics-tables";
import { seedSources } from "./demo/sources";
import { seedVisits } from "./demo/visits";

export interface SeedOptions {
  databaseUrl: string;
  /** The PostgreSQL database of the demo PostgreSQL sources, as a login that may create it; created if missing. */
  postgresUrl: string;
  /** The MariaDB/MySQL database of the "Demo MariaDB" source, as root or alike; created if missing. */
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
  const databaseUrl = options.databaseUrl ?? getEnv().DATABASE_URL;
  return {
    databaseUrl,
    postgresUrl: options.postgresUrl ?? (process.env.DEMO_POSTGRES_URL || defaultDemoPostgresUrl(databaseUrl)),
    mysqlUrl: options.mysqlUrl ?? (process.env.DEMO_MYSQL_URL || defaultDemoMysqlUrl(databaseUrl)),
    vaultKey: options.vaultKey ?? getEnv().VAULT_KEY,
    log: options.log ?? ((line) => console.log(`[seed] ${line}`)),
  };
}

async function loadMysqlOrWarn(options: SeedOptions, rows: ReturnType<typeof demoMetricRows>): Promise<number | null> {
  try {
    return await loadMysqlDemoMetrics(options.mysqlUrl, rows, { vaultKey: options.vaultKey });
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
    const where = (url: string) => `${new URL(url).host}/${databaseName(url)}`;
    if (where(options.postgresUrl) === where(options.databaseUrl)) {
      throw new Error("DEMO_POSTGRES_URL must name a database other than DATABASE_URL's: the demo sources run any member's SQL");
    }
    const userIds = await seedAccounts(db);
    const rows = demoMetricRows();
    const [postgres, mysql] = await Promise.all([
      loadPostgresDemoMetrics(options.postgresUrl, rows, { appDatabase: databaseName(options.databaseUrl), vaultKey: options.vaultKey }),
      loadMysqlOrWarn(options, rows),
    ]);
    await seedSources(db, {
      postgresUrl: postgresReaderUrl(options.postgresUrl, options.vaultKey),
      mysqlUrl: mysqlReaderUrl(options.mysqlUrl, options.vaultKey),
      vaultKey: options.vaultKey,
      formerUrls: [options.databaseUrl, options.mysqlUrl],
    });
    const visits = await seedVisits(db);
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
        `demo_metrics: ${postgres} rows in PostgreSQL (${databaseName(options.postgresUrl)}), ${mysql ?? "no"} rows in MariaDB; ` +
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
