/**
 * Where the demo data lives, and who may read it. The demo sources never point at the app's
 * own database: a metric on them runs whatever SQL a member writes, and the app's database
 * holds every team's users, password hashes and sealed credentials. So the demo tables live in
 * databases of their own (`<app database>_demo` on PostgreSQL and on MariaDB, unless
 * DEMO_POSTGRES_URL / DEMO_MYSQL_URL say otherwise), and the demo sources log in as a reader
 * that may connect to that database and SELECT its tables, nothing more.
 *
 * The reader's password is derived from the vault key (HMAC-SHA-256), so it is as secret as
 * the credentials it is sealed with, and seeding again yields the same one: nothing changes.
 */
import { createHash, createHmac } from "node:crypto";

import type mysql from "mysql2/promise";
import type pg from "pg";

/** The same server and login as `url`, another database. */
function withDatabase(url: string, database: string): string {
  const parsed = new URL(url);
  parsed.pathname = `/${encodeURIComponent(database)}`;
  return parsed.toString();
}

export function databaseName(url: string): string {
  return decodeURIComponent(new URL(url).pathname.slice(1));
}

/** The PostgreSQL database of the demo sources, as a login that may create it and its reader. */
export function defaultDemoPostgresUrl(appDatabaseUrl: string): string {
  return withDatabase(appDatabaseUrl, `${databaseName(appDatabaseUrl)}_demo`);
}

/** The MariaDB database of the "Demo MariaDB" source, as root on the local server. */
export function defaultDemoMysqlUrl(appDatabaseUrl: string): string {
  return `mysql://root@127.0.0.1:3306/${encodeURIComponent(`${databaseName(appDatabaseUrl)}_demo`)}`;
}

/** At most 32 characters, MySQL's limit for a user name; a longer database name is shortened with a hash. */
export function readerName(database: string): string {
  const name = `${database}_reader`;
  if (name.length <= 32) return name;
  return `${database.slice(0, 19)}_${createHash("sha256").update(database).digest("hex").slice(0, 12)}`;
}

function readerPassword(vaultKey: string, server: "postgres" | "mysql", user: string): string {
  return createHmac("sha256", Buffer.from(vaultKey, "hex")).update(`demo-reader:${server}:${user}`).digest("hex");
}

/** The admin URL with the reader's login instead: what the demo source's credentials hold. */
function readerUrl(adminUrl: string, server: "postgres" | "mysql", vaultKey: string): { url: string; user: string; password: string } {
  const parsed = new URL(adminUrl);
  const user = readerName(databaseName(adminUrl));
  const password = readerPassword(vaultKey, server, user);
  parsed.username = user;
  parsed.password = password;
  parsed.search = "";
  return { url: parsed.toString(), user, password };
}

export const postgresReaderUrl = (adminUrl: string, vaultKey: string) => readerUrl(adminUrl, "postgres", vaultKey).url;
export const mysqlReaderUrl = (adminUrl: string, vaultKey: string) => readerUrl(adminUrl, "mysql", vaultKey).url;

const quotePg = (name: string) => `"${name.replaceAll('"', '""')}"`;

/**
 * Creates (or resets) the PostgreSQL reader of the demo database `client` is connected to: it
 * may log in, connect to this database only and read `tables`. PUBLIC loses CONNECT and TEMP
 * here and CREATE on the public schema, and CONNECT on the app's database, so that the reader
 * cannot even open a session there. That last one is revoked only where the seeding login owns
 * the app's database (or is a superuser), which is where the app itself keeps connecting.
 */
export async function grantPostgresReader(
  client: pg.Client,
  options: { adminUrl: string; appDatabase: string; tables: readonly string[]; vaultKey: string },
): Promise<void> {
  const { user, password } = readerUrl(options.adminUrl, "postgres", options.vaultKey);
  const role = quotePg(user);
  const demo = quotePg(databaseName(options.adminUrl));
  const attributes = `LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS PASSWORD ${client.escapeLiteral(password)}`;
  const { rowCount } = await client.query("SELECT 1 FROM pg_roles WHERE rolname = $1", [user]);
  if (!rowCount) {
    try {
      await client.query(`CREATE ROLE ${role} ${attributes}`);
    } catch (error) {
      // Another seed created it first: the ALTER below makes it ours all the same.
      if ((error as { code?: string }).code !== "42710") throw error;
    }
  }
  await client.query(`ALTER ROLE ${role} ${attributes}`);
  await client.query(`REVOKE ALL ON DATABASE ${demo} FROM PUBLIC`);
  await client.query(`GRANT CONNECT ON DATABASE ${demo} TO ${role}`);
  await client.query("REVOKE CREATE ON SCHEMA public FROM PUBLIC");
  await client.query(`GRANT USAGE ON SCHEMA public TO ${role}`);
  for (const table of options.tables) await client.query(`GRANT SELECT ON ${quotePg(table)} TO ${role}`);

  const { rows } = await client.query<{ allowed: boolean }>(
    `SELECT (SELECT rolsuper FROM pg_roles WHERE rolname = current_user) OR pg_get_userbyid(datdba) = current_user AS allowed
     FROM pg_database WHERE datname = $1`,
    [options.appDatabase],
  );
  if (rows[0]?.allowed) await client.query(`REVOKE CONNECT ON DATABASE ${quotePg(options.appDatabase)} FROM PUBLIC`);
}

const quoteMysql = (name: string) => `\`${name.replaceAll("`", "``")}\``;

/** Creates (or resets) the MariaDB/MySQL reader of the demo database: SELECT on that database only. */
export async function grantMysqlReader(connection: mysql.Connection, options: { adminUrl: string; vaultKey: string }): Promise<void> {
  const { user, password } = readerUrl(options.adminUrl, "mysql", options.vaultKey);
  const account = `${connection.escape(user)}@'%'`;
  await connection.query(`CREATE USER IF NOT EXISTS ${account} IDENTIFIED BY ${connection.escape(password)}`);
  await connection.query(`ALTER USER ${account} IDENTIFIED BY ${connection.escape(password)}`);
  await connection.query(`GRANT SELECT ON ${quoteMysql(databaseName(options.adminUrl))}.* TO ${account}`);
}
