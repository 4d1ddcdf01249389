/**
 * Writes the `demo_metrics` rows into the two demo databases (PostgreSQL and MariaDB, see
 * demo-databases.ts), creating each database if missing, and lets the demo sources' reader
 * read them. Rows are keyed by id and existing ones are left alone, so running the seed again
 * adds nothing.
 */
import mysql from "mysql2/promise";
import pg from "pg";

import { ensureDatabase } from "../../scripts/db-migrate";
import { grantMysqlReader, grantPostgresReader } from "./demo-databases";
import { DEMO_METRICS_TABLE, type DemoMetricRow } from "./metrics-data";

const POSTGRES_DDL = `CREATE TABLE IF NOT EXISTS ${DEMO_METRICS_TABLE} (
  id          integer PRIMARY KEY,
  label       text,
  category    text NOT NULL,
  amount      numeric(30, 10),
  quantity    bigint,
  is_active   boolean,
  payload     jsonb,
  recorded_at timestamptz NOT NULL
)`;

// One statement for all rows: each column travels as one array parameter.
const POSTGRES_INSERT = `INSERT INTO ${DEMO_METRICS_TABLE} (id, label, category, amount, quantity, is_active, payload, recorded_at)
SELECT * FROM unnest($1::integer[], $2::text[], $3::text[], $4::numeric[], $5::bigint[], $6::boolean[], $7::jsonb[], $8::timestamptz[])
ON CONFLICT (id) DO NOTHING`;

const MYSQL_DDL = `CREATE TABLE IF NOT EXISTS ${DEMO_METRICS_TABLE} (
  id          INT PRIMARY KEY,
  label       TEXT NULL,
  category    VARCHAR(32) NOT NULL,
  amount      DECIMAL(30, 10) NULL,
  quantity    BIGINT NULL,
  is_active   BOOLEAN NULL,
  payload     JSON NULL,
  recorded_at DATETIME(3) NOT NULL COMMENT 'UTC'
) CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`;

const MYSQL_BATCH_SIZE = 1_000;

/**
 * Creates the database and table if missing, adds the missing rows, grants the reader;
 * returns the table's row count. `adminUrl` is the demo database, as a login that may create it.
 */
export async function loadPostgresDemoMetrics(
  adminUrl: string,
  rows: readonly DemoMetricRow[],
  access: { appDatabase: string; vaultKey: string },
): Promise<number> {
  await ensureDatabase(adminUrl);
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    await client.query(POSTGRES_DDL);
    await client.query(POSTGRES_INSERT, [
      rows.map((r) => r.id),
      rows.map((r) => r.label),
      rows.map((r) => r.category),
      rows.map((r) => r.amount),
      rows.map((r) => r.quantity),
      rows.map((r) => r.is_active),
      rows.map((r) => (r.payload === null ? null : JSON.stringify(r.payload))),
      rows.map((r) => r.recorded_at.toISOString()),
    ]);
    await grantPostgresReader(client, { adminUrl, appDatabase: access.appDatabase, tables: [DEMO_METRICS_TABLE], vaultKey: access.vaultKey });
    return await countRows(async (sql) => (await client.query(sql)).rows);
  } finally {
    await client.end();
  }
}

/** `mysql://user:password@host:port/database`, split so that the database can be created first. */
function parseMysqlUrl(url: string): { connection: mysql.ConnectionOptions; database: string } {
  const parsed = new URL(url);
  const database = decodeURIComponent(parsed.pathname.slice(1));
  if (!database) throw new Error("DEMO_MYSQL_URL must name a database, e.g. mysql://root@127.0.0.1:3306/export_center_demo");
  return {
    database,
    connection: {
      host: parsed.hostname,
      port: parsed.port ? Number(parsed.port) : 3306,
      user: decodeURIComponent(parsed.username),
      password: decodeURIComponent(parsed.password),
      charset: "utf8mb4_unicode_ci",
    },
  };
}

const quoteMysqlIdent = (name: string) => `\`${name.replaceAll("`", "``")}\``;

/** DATETIME has no time zone: store UTC as text, so the client's zone never shifts it. */
const mysqlUtc = (date: Date) => date.toISOString().replace("T", " ").replace("Z", "");

/** The server could not be reached: the demo can run without its MariaDB source. */
export class MysqlUnavailableError extends Error {
  constructor(message: string, options: { cause: unknown }) {
    super(message, options);
    this.name = "MysqlUnavailableError";
  }
}

async function countRows(query: (sql: string) => Promise<unknown>): Promise<number> {
  const rows = (await query(`SELECT COUNT(*) AS n FROM ${DEMO_METRICS_TABLE}`)) as Array<{ n: number | string }>;
  return Number(rows[0]?.n ?? 0);
}

/** Creates the database and table if missing, adds the missing rows, grants the reader; returns the table's row count. */
export async function loadMysqlDemoMetrics(url: string, rows: readonly DemoMetricRow[], access: { vaultKey: string }): Promise<number> {
  const { connection: options, database } = parseMysqlUrl(url);
  let connection: mysql.Connection;
  try {
    connection = await mysql.createConnection(options);
  } catch (cause) {
    const reason = (cause as Error).message || (cause as { code?: string }).code || "connection failed";
    throw new MysqlUnavailableError(`MariaDB/MySQL at ${options.host}:${options.port} is not reachable: ${reason}`, { cause });
  }
  try {
    await connection.query(`CREATE DATABASE IF NOT EXISTS ${quoteMysqlIdent(database)} CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`);
    await connection.changeUser({ database });
    await connection.query(MYSQL_DDL);
    for (let start = 0; start < rows.length; start += MYSQL_BATCH_SIZE) {
      const values = rows
        .slice(start, start + MYSQL_BATCH_SIZE)
        .map((r) => [
          r.id,
          r.label,
          r.category,
          r.amount,
          r.quantity,
          r.is_active,
          r.payload === null ? null : JSON.stringify(r.payload),
          mysqlUtc(r.recorded_at),
        ]);
      // `id = id` makes a repeated row a no-op, without INSERT IGNORE's habit of also
      // swallowing truncation errors.
      await connection.query(
        `INSERT INTO ${DEMO_METRICS_TABLE} (id, label, category, amount, quantity, is_active, payload, recorded_at)
         VALUES ? ON DUPLICATE KEY UPDATE id = id`,
        [values],
      );
    }
    await grantMysqlReader(connection, { adminUrl: url, vaultKey: access.vaultKey });
    return await countRows(async (sql) => (await connection.query(sql))[0]);
  } finally {
    await connection.end();
  }
}
