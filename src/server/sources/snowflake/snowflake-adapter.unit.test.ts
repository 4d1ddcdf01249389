/**
 * Nothing runs Snowflake locally, so these tests put the seam at the network: the real
 * snowflake-sdk talks HTTP to a local fake of Snowflake's REST protocol (see
 * __fixtures__/snowflake-fake.ts) through the `accessUrl` option.
 *
 * Covered: the adapter's connection options and password login, the session parameters it
 * sets, the SDK's result handling (inline rows, chunk downloads, value conversion with
 * fetchAsString and representNullAsStringNull), our ISO timestamps from the SDK's epoch and
 * nanoseconds, the row budget stopping chunk downloads, session close, error mapping and
 * redaction.
 *
 * Not covered: Snowflake itself. The fake's wire format follows the SDK's parser and
 * Snowflake's documented JSON result format, not a recording of the live service, so
 * behaviour the fake does not imitate is untested: key-pair (JWT) login, OCSP and TLS,
 * gzip/encrypted (qrmk) chunks, Arrow results, long-running queries answered with
 * "query in progress", session renewal, and whether a real warehouse honours
 * STATEMENT_TIMEOUT_IN_SECONDS and MULTI_STATEMENT_COUNT as set here. Read-only access is
 * the role's job in Snowflake; the fake imitates the access-control error a read-only role
 * produces.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";


import { createSourceAdapter } from "../create-source-adapter";
import { developmentPolicy } from "../__fixtures__/target-policy";
import { CONNECTION_FAILED_MESSAGE } from "../source-errors";
import { type SourceAdapter } from "../source-adapter";
import { exportAndParse } from "../__fixtures__/csv-round-trip";
import { failure } from "../../../../tests/support/assertions";
import { type SnowflakeFake, startSnowflakeFake } from "./__fixtures__/snowflake-fake";
import { drain } from "../__fixtures__/drain";

const PASSWORD = "S3cr3t-Planted-Pw!";
const USERNAME = "EXPORT_READER";

let fake: SnowflakeFake;
let adapter: SourceAdapter;

beforeAll(async () => {
  // The SDK otherwise probes cloud metadata endpoints at login.
  process.env.SNOWFLAKE_DISABLE_PLATFORM_DETECTION = "true";
  fake = await startSnowflakeFake({
    username: USERNAME,
    password: PASSWORD,
    chunkRows: 100,
    tables: {
      AWKWARD: {
        columns: [
          { name: "ID", type: "fixed" },
          { name: "LABEL", type: "text" },
          { name: "AMOUNT", type: "fixed", scale: 9 },
          { name: "RATIO", type: "real" },
          { name: "FLAG", type: "boolean" },
          { name: "CREATED_AT", type: "timestamp_tz" },
          { name: "LOCAL_AT", type: "timestamp_ntz" },
          { name: "DAY", type: "date" },
          { name: "DOC", type: "variant" },
          { name: "PAYLOAD", type: "binary" },
        ],
        rows: [
          // 2024-03-10 12:34:56.789123456 +05:30 = 1710054296.789123456 UTC; offset 330 + 1440.
          ["1", 'He said "hi", then left', "12345678901234567890.123456789", "0.1", "1", "1710054296.789123456 1770",
            "1710074096.789123456", "19792", '{"big":12345678901234567890123,"b":"x,y"}', "00FF10"],
          ["2", "line1\r\nline2\nline3", "-12.500000000", "-1.5e-10", "0", "946684799.000000000 1440",
            "946684799.000000000", "10956", "[1,2.5]", ""],
          ["3", "🎉 Grüße, 東京", null, null, null, null, null, null, null, null],
          ["4", '=HYPERLINK("http://evil")', null, null, null, null, null, null, null, null],
          ["5", "-5", null, null, null, null, null, null, null, null],
          ["6", "@SUM(A1)", null, null, null, null, null, null, null, null],
        ],
      },
      NUMBERS: {
        columns: [{ name: "N", type: "fixed" }],
        rows: Array.from({ length: 1000 }, (_, i) => [String(i + 1)]),
      },
    },
  });
  adapter = await createSourceAdapter("SNOWFLAKE", {
    account: "fake-account",
    username: USERNAME,
    password: PASSWORD,
    warehouse: "FAKE_WH",
    accessUrl: fake.url,
  }, developmentPolicy());
});

afterAll(async () => {
  await adapter?.close();
  await fake?.close();
});

describe("Snowflake adapter (real SDK against a protocol fake)", () => {
  it("exports awkward values exactly, through the CSV writer and back through a CSV parser", async () => {
    const { columns, header, rows, truncated } = await exportAndParse(adapter, {
      sql: "SELECT * FROM AWKWARD",
      maxRows: 1000,
      statementTimeoutMs: 1_500,
    });
    expect(columns.map((c) => c.type)).toEqual([
      "bigint", "text", "decimal", "number", "boolean", "date", "date", "date", "json", "binary",
    ]);
    expect(header).toEqual(["ID", "LABEL", "AMOUNT", "RATIO", "FLAG", "CREATED_AT", "LOCAL_AT", "DAY", "DOC", "PAYLOAD"]);
    const empty = ["", "", "", "", "", "", "", ""];
    expect(rows).toEqual([
      [
        "1", 'He said "hi", then left', "12345678901234567890.123456789", "0.1", "true",
        "2024-03-10T07:04:56.789123456Z", "2024-03-10T12:34:56.789123456", "2024-03-10",
        '{"big":12345678901234567890123,"b":"x,y"}', "AP8Q",
      ],
      [
        "2", "line1\r\nline2\nline3", "-12.500000000", "-1.5e-10", "false",
        "1999-12-31T23:59:59.000000000Z", "1999-12-31T23:59:59.000000000", "1999-12-31", "[1,2.5]", "",
      ],
      ["3", "🎉 Grüße, 東京", ...empty],
      ["4", `'=HYPERLINK("http://evil")`, ...empty],
      ["5", "'-5", ...empty],
      ["6", "'@SUM(A1)", ...empty],
    ]);
    expect(truncated).toBe(false);
  });

  it("sets the statement timeout in whole seconds and one statement per query for the session", async () => {
    await drain(adapter, "SELECT 1", 1_500);
    expect(fake.sessionParameters.get("STATEMENT_TIMEOUT_IN_SECONDS")).toBe("2");
    expect(fake.sessionParameters.get("MULTI_STATEMENT_COUNT")).toBe("1");
    expect(fake.sessionParameters.get("STRICT_JSON_OUTPUT")).toBe("TRUE");
  });

  it("maps Snowflake's statement timeout to TIMEOUT", async () => {
    const error = await failure(drain(adapter, "CALL SYSTEM$WAIT(5)", 1_000));
    expect(error.code).toBe("TIMEOUT");
    expect(error.message).toBe(
      "The query timed out after 1000 ms (Statement reached its statement or warehouse timeout of 1 second(s) and was canceled.)",
    );
    expect(error.details).toEqual({ reason: "statement_timeout", timeoutMs: 1000 });
  });

  it("reports a write refused by a read-only role, and SQL errors, with Snowflake's message", async () => {
    const write = await failure(drain(adapter, "DELETE FROM EVENTS"));
    expect(write.code).toBe("QUERY_FAILED");
    expect(write.message).toMatch(/Insufficient privileges/);
    const missing = await failure(drain(adapter, "SELECT * FROM NOPE"));
    expect(missing.code).toBe("QUERY_FAILED");
    expect(missing.message).toBe("SQL compilation error:\nObject 'NOPE' does not exist or not authorized.");
    expect(missing.details).toEqual({ sourceCode: "002003" });
  });

  it("stops downloading result chunks once it has maxRows + 1 rows, and closes the session", async () => {
    const downloadsBefore = fake.chunkDownloads;
    const result = await exportAndParse(adapter, { sql: "SELECT * FROM NUMBERS", maxRows: 150, statementTimeoutMs: 5_000, batchSize: 40 });
    expect(result.rowsRead).toBe(151);
    expect(result.rowsWritten).toBe(150);
    expect(result.truncated).toBe(true);
    expect(result.rows.at(-1)).toEqual(["150"]);
    // 1000 rows are 100 inline and 9 chunks; the SDK prefetches a little, but not 9.
    expect(fake.chunkDownloads - downloadsBefore).toBeLessThanOrEqual(3);
    expect(fake.sessionsOpen).toBe(0);
  });

  it("tests a connection with SELECT 1", async () => {
    await expect(adapter.test()).resolves.toBeUndefined();
    expect(fake.sessionsOpen).toBe(0);
  });

  describe("never echoes a password", () => {
    it("when the login is refused", async () => {
      const bad = await createSourceAdapter("SNOWFLAKE", {
        account: "fake-account",
        username: USERNAME,
        password: `${PASSWORD}-wrong`,
        accessUrl: fake.url,
      }, developmentPolicy());
      const error = await failure(bad.test());
      expect(error.code).toBe("UPSTREAM_UNAVAILABLE");
      expect(error.message).toBe(CONNECTION_FAILED_MESSAGE);
      expect(JSON.stringify({ message: error.message, details: error.details, stack: error.stack })).not.toContain(PASSWORD);
    });

    it("when Snowflake's error quotes it", async () => {
      const error = await failure(drain(adapter, `SELECT '${PASSWORD}'::INT`));
      expect(error.code).toBe("QUERY_FAILED");
      expect(error.message).toBe("Numeric value '[redacted]' is not recognized");
    });
  });
});
