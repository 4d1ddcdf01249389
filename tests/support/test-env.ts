/**
 * The services the tests use, named once. Each address can be moved by the environment, so
 * that two checkouts (or CI beside a developer) can run their suites side by side without
 * sharing a database:
 *
 *   TEST_DATABASE_URL          the app's own database (migrated by tests/global-setup.ts)
 *   TEST_SOURCE_DATABASE_URL   a separate database that metrics query as a customer's source;
 *                              the app refuses a data source that is its own database
 *   TEST_MYSQL_ADMIN_URL       MariaDB as root, for tests that create their source tables
 */
export const TEST_DATABASE_URL = process.env.TEST_DATABASE_URL ?? "postgresql://postgres@127.0.0.1:5432/export_center_test";
export const TEST_SOURCE_DATABASE_URL = process.env.TEST_SOURCE_DATABASE_URL ?? "postgresql://postgres@127.0.0.1:5432/export_center_test_source";
export const TEST_MYSQL_ADMIN_URL = process.env.TEST_MYSQL_ADMIN_URL ?? "mysql://root@127.0.0.1:3306/test";
/** The server's maintenance database, for probes such as pg_stat_activity and CREATE DATABASE. */
export const TEST_POSTGRES_ADMIN_URL = withDatabase(TEST_DATABASE_URL, "postgres");

/** The same server and credentials, another database. */
export function withDatabase(url: string, database: string): string {
  const parsed = new URL(url);
  parsed.pathname = `/${database}`;
  return parsed.toString();
}

/** The same URL with a password set (for tests that check a secret never leaks). */
export function withPassword(url: string, password: string): string {
  const parsed = new URL(url);
  parsed.password = password;
  return parsed.toString();
}
