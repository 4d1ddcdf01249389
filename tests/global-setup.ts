/**
 * Runs once before the integration tests (the `integration` and `serial` projects; their
 * environment is support/test-env.ts's testAppEnv()): a migrated database of their own, so
 * that tests never touch the development data, plus an empty database that plays a
 * customer's data source.
 */
import { ensureDatabase, migrate } from "../scripts/db-migrate";
import { TEST_DATABASE_URL, TEST_SOURCE_DATABASE_URL } from "./support/test-env";

/** Said once here, rather than as the same connection error in every file; the host, not the URL, so that no password is printed. */
async function prepare(variable: string, url: string, step: (url: string) => Promise<unknown>) {
  try {
    await step(url);
  } catch (error) {
    throw new Error(
      `Could not prepare the integration tests' database at ${new URL(url).host} (${variable}): ${(error as Error).message}. ` +
        `Is PostgreSQL running there? Start it, or point ${variable} at one. The unit tests (npx vitest run --project unit) need no service.`,
    );
  }
}

export default async function setup() {
  await prepare("TEST_DATABASE_URL", TEST_DATABASE_URL, migrate);
  await prepare("TEST_SOURCE_DATABASE_URL", TEST_SOURCE_DATABASE_URL, ensureDatabase);
}
