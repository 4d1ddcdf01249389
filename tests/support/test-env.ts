/**
 * The services the tests use, named once: every test, fixture and setup file takes its
 * addresses from here. Each can be moved by the environment, so that two checkouts (or CI
 * beside a developer) can run their suites side by side without sharing a database:
 *
 *   TEST_DATABASE_URL          the app's own database (migrated by tests/global-setup.ts)
 *   TEST_SOURCE_DATABASE_URL   a separate database that metrics query as a customer's source;
 *                              the app refuses a data source that is its own database
 *   TEST_MYSQL_ADMIN_URL       MariaDB as root, for tests that create their source tables
 *   TEST_REDIS_URL             Redis, else REDIS_URL, else database 1 (the app's is 0). Every
 *                              test keeps to keys of its own (random ids, or a prefix per run),
 *                              so that one database serves them all
 *
 * Unit tests (`*.unit.test.ts`) use none of them: unitTestEnv() points every one at a closed
 * port.
 */
export const TEST_DATABASE_URL = process.env.TEST_DATABASE_URL ?? "postgresql://postgres@127.0.0.1:5432/export_center_test";
export const TEST_SOURCE_DATABASE_URL = process.env.TEST_SOURCE_DATABASE_URL ?? "postgresql://postgres@127.0.0.1:5432/export_center_test_source";
export const TEST_MYSQL_ADMIN_URL = process.env.TEST_MYSQL_ADMIN_URL ?? "mysql://root@127.0.0.1:3306/test";
export const TEST_REDIS_URL = process.env.TEST_REDIS_URL ?? process.env.REDIS_URL ?? "redis://127.0.0.1:6379/1";
/** The server's maintenance database, for probes such as pg_stat_activity and CREATE DATABASE. */
export const TEST_POSTGRES_ADMIN_URL = withDatabase(TEST_DATABASE_URL, "postgres");

/** The same server and credentials, another database. */
export function withDatabase(url: string, database: string): string {
  const parsed = new URL(url);
  parsed.pathname = `/${database}`;
  return parsed.toString();
}

/** The same server and database, another login. */
export function withUser(url: string, user: string): string {
  const parsed = new URL(url);
  parsed.username = user;
  return parsed.toString();
}

/** The same URL with a password set (for tests that check a secret never leaks). */
export function withPassword(url: string, password: string): string {
  const parsed = new URL(url);
  parsed.password = password;
  return parsed.toString();
}

const CLOSED_PORT = "127.0.0.1:1";

/**
 * The app's configuration under test (src/env.ts), which vitest.config.ts gives every test
 * process: the services above, and stand-ins for what the tests start themselves. A variable
 * set in the shell wins, except the services', which only the TEST_* names above move.
 */
export function testAppEnv(): Record<string, string | undefined> {
  const defaults: Record<string, string> = {
    VAULT_KEY: "a".repeat(64),
    AUTH_SECRET: "test-auth-secret-test-auth-secret",
    // Tests that touch storage start their own s3rver and pass its endpoint explicitly.
    S3_ENDPOINT: "http://127.0.0.1:4599",
    S3_ACCESS_KEY_ID: "S3RVER",
    S3_SECRET_ACCESS_KEY: "S3RVER",
    S3_BUCKET: "test-exports",
    S3_FORCE_PATH_STYLE: "true",
    // The SDK in cloud mode, as in production. Tests that run functions start an executor of
    // their own with keys of their own (support/export-harness.ts); without one, events go to
    // a closed local port, never to Inngest Cloud.
    INNGEST_SIGNING_KEY: `signkey-test-${"0".repeat(64)}`,
    INNGEST_EVENT_KEY: "test-event-key",
    INNGEST_BASE_URL: "http://127.0.0.1:9",
  };
  return {
    ...Object.fromEntries(Object.entries(defaults).filter(([name]) => process.env[name] === undefined)),
    DATABASE_URL: TEST_DATABASE_URL,
    REDIS_URL: TEST_REDIS_URL,
    // Unset, whatever the shell says: INNGEST_DEV would turn the SDK's signature checks off.
    INNGEST_DEV: undefined,
  };
}

/**
 * The same for unit tests (`*.unit.test.ts`), with every service at a closed port: a unit test
 * that reached for PostgreSQL, MariaDB or Redis fails at once, instead of passing only where
 * they happen to run.
 */
export function unitTestEnv(): Record<string, string | undefined> {
  const database = `postgresql://unit-tests-use-no-database@${CLOSED_PORT}/none`;
  const redis = `redis://${CLOSED_PORT}/0`;
  return {
    ...testAppEnv(),
    TEST_DATABASE_URL: database,
    TEST_SOURCE_DATABASE_URL: database,
    TEST_MYSQL_ADMIN_URL: `mysql://unit-tests-use-no-database@${CLOSED_PORT}/none`,
    TEST_REDIS_URL: redis,
    DATABASE_URL: database,
    REDIS_URL: redis,
  };
}
