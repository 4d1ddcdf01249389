/**
 * Runs once before every Vitest run: points the tests at the local services and gives them
 * a migrated database of their own, so that tests never touch the development data, plus an
 * empty database that plays a customer's data source. Workers inherit these variables; a
 * test that needs other values sets its own.
 */
import { ensureDatabase, migrate } from "../scripts/db-migrate";
import { TEST_DATABASE_URL, TEST_SOURCE_DATABASE_URL } from "./support/test-env";

export default async function setup() {
  const defaults: Record<string, string> = {
    DATABASE_URL: TEST_DATABASE_URL,
    REDIS_URL: "redis://127.0.0.1:6379/1",
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
  delete process.env.INNGEST_DEV;
  for (const [key, value] of Object.entries(defaults)) process.env[key] ??= value;
  await ensureDatabase(TEST_SOURCE_DATABASE_URL);
  await migrate(process.env.DATABASE_URL!);
}
