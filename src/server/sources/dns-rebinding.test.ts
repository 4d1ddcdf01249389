/**
 * A name that resolves to one address for the check and to another when the driver connects
 * (DNS rebinding) must not get past the check: the adapters connect to the address that was
 * checked, never to the name. No DNS server can be steered here, so the resolver the check uses
 * answers for one made-up name; every other name goes to the machine's real resolver. The
 * drivers never see that answer: had they resolved the name themselves, they would have failed
 * with ENOTFOUND.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";

import { failure } from "../../../tests/support/assertions";
import { TEST_DATABASE_URL, TEST_MYSQL_ADMIN_URL, TEST_SOURCE_DATABASE_URL } from "../../../tests/support/test-env";
import { createSourceAdapter } from "./create-source-adapter";
import { APP_DATABASE_REFUSED } from "./source-target";
import { developmentPolicy } from "./__fixtures__/target-policy";
import { exportAndParse } from "./__fixtures__/csv-round-trip";

const REBOUND = "rebound.export-center.invalid";
const answers = new Map<string, string>();

vi.mock("node:dns/promises", async (importOriginal) => {
  const actual = await importOriginal<typeof import("node:dns/promises")>();
  const lookup = (async (host: string, options: object) => {
    const address = answers.get(host);
    return address ? [{ address, family: address.includes(":") ? 6 : 4 }] : actual.lookup(host, options as never);
  }) as typeof actual.lookup;
  return { ...actual, default: { ...actual, lookup }, lookup };
});

const sourceDatabase = new URL(TEST_SOURCE_DATABASE_URL);
const appDatabase = new URL(TEST_DATABASE_URL);

beforeAll(() => answers.set(REBOUND, "127.0.0.1"));
afterAll(() => answers.clear());

describe("a name checked once", () => {
  it("is the address PostgreSQL connects to", async () => {
    const url = new URL(sourceDatabase);
    url.hostname = REBOUND;
    const adapter = await createSourceAdapter("POSTGRES", { url: url.toString() }, developmentPolicy());
    const result = await exportAndParse(adapter, { sql: "SELECT 42 AS answer", maxRows: 1, statementTimeoutMs: 5_000 });
    expect(result.rows).toEqual([["42"]]);
    await adapter.close();
  });

  it("is the address MySQL connects to", async () => {
    const url = new URL(TEST_MYSQL_ADMIN_URL);
    url.hostname = REBOUND;
    const adapter = await createSourceAdapter("MYSQL", { url: url.toString() }, developmentPolicy());
    const result = await exportAndParse(adapter, { sql: "SELECT 42 AS answer", maxRows: 1, statementTimeoutMs: 5_000 });
    expect(result.rows).toEqual([["42"]]);
    await adapter.close();
  });

  it("is refused when it resolves to the app's own database", async () => {
    const url = new URL(appDatabase);
    url.hostname = REBOUND;
    const adapter = await createSourceAdapter("POSTGRES", { url: url.toString() }, developmentPolicy());
    const error = await failure(adapter.test());
    expect(error.code).toBe("BAD_REQUEST");
    expect(error.message).toBe(APP_DATABASE_REFUSED);
  });
});
