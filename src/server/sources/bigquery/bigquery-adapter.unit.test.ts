/**
 * Nothing runs BigQuery locally: the real @google-cloud/bigquery client talks to a local
 * fake of the REST API (__fixtures__/bigquery-fake.ts) through `apiEndpoint`.
 *
 * Covered: authentication (the fake verifies the self-signed JWT against the service
 * account's public key, so no OAuth server is involved), the dry-run SELECT check, the job
 * configuration (jobTimeoutMs), polling an unfinished job, paging by pageToken with page
 * sizes kept within the row budget, value conversion from the raw REST rows (INT64,
 * BIGNUMERIC, TIMESTAMP micros, BYTES, BOOL, REPEATED, RECORD, JSON), error mapping and
 * redaction.
 *
 * Not covered: BigQuery itself. The fake imitates the documented REST shapes and error
 * format, not recorded traffic, so these are untested: that the live service accepts a
 * self-signed JWT with the bigquery scope for this service account, the exact error body of
 * a job that exceeds jobTimeoutMs, responses capped by size rather than maxResults, and
 * location handling across regions. Read-only enforcement beyond the dry-run check is the
 * service account's roles.
 */
import { generateKeyPairSync } from "node:crypto";

import { afterAll, beforeAll, describe, expect, it } from "vitest";


import { failure } from "../../../../tests/support/assertions";
import { type BigQueryFake, startBigQueryFake } from "./__fixtures__/bigquery-fake";
import { createSourceAdapter } from "../create-source-adapter";
import { developmentPolicy } from "../__fixtures__/target-policy";
import { CONNECTION_FAILED_MESSAGE } from "../source-errors";
import { type SourceAdapter } from "../source-adapter";
import { exportAndParse } from "../__fixtures__/csv-round-trip";
import { drain } from "../__fixtures__/drain";

const PROJECT = "fake-project";
const EMAIL = "exporter@fake-project.iam.gserviceaccount.com";

function newKey(): string {
  const { privateKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
  return privateKey.export({ type: "pkcs8", format: "pem" }).toString();
}

const privateKey = newKey();
let fake: BigQueryFake;
let adapter: SourceAdapter;

const cell = (v: unknown) => ({ v });
const awkwardRows = [
  [
    "1", 'He said "hi", then left', "12345678901234567890.123456789", "0.1", "true", "1710054296789123",
    "2024-03-10T12:34:56.789123", "2024-03-10", '{"big":12345678901234567890123,"b":"x,y"}', "AP8Q",
    [cell("1"), cell("99999999999999999999")], { f: [cell("x,y"), cell("-5")] },
  ],
  [
    "2", "line1\r\nline2\nline3", "-12.5", "-1.5E-10", "false", "-1000000",
    "1999-12-31T23:59:59", "1999-12-31", "[1,2.5]", "", [], { f: [cell(null), cell(null)] },
  ],
  ["3", "🎉 Grüße, 東京", null, null, null, null, null, null, null, null, null, null],
  ["4", '=HYPERLINK("http://evil")', null, null, null, null, null, null, null, null, null, null],
  ["5", "-5", null, null, null, null, null, null, null, null, null, null],
].map((values) => ({ f: values.map(cell) }));

beforeAll(async () => {
  fake = await startBigQueryFake({
    projectId: PROJECT,
    serviceAccountEmail: EMAIL,
    privateKey,
    pageSize: 2,
    tables: {
      "shop.awkward": {
        schema: [
          { name: "id", type: "INTEGER" },
          { name: "label", type: "STRING" },
          { name: "amount", type: "BIGNUMERIC" },
          { name: "ratio", type: "FLOAT" },
          { name: "flag", type: "BOOLEAN" },
          { name: "created_at", type: "TIMESTAMP" },
          { name: "local_at", type: "DATETIME" },
          { name: "day", type: "DATE" },
          { name: "doc", type: "JSON" },
          { name: "payload", type: "BYTES" },
          { name: "tags", type: "INTEGER", mode: "REPEATED" },
          { name: "place", type: "RECORD", fields: [{ name: "name", type: "STRING" }, { name: "delta", type: "NUMERIC" }] },
        ],
        rows: awkwardRows,
      },
      "shop.numbers": {
        schema: [{ name: "n", type: "INTEGER" }],
        rows: Array.from({ length: 100 }, (_, i) => ({ f: [cell(String(i + 1))] })),
      },
    },
  });
  adapter = await createSourceAdapter("BIGQUERY", {
    projectId: PROJECT,
    apiEndpoint: fake.url,
    credentials: { type: "service_account", client_email: EMAIL, private_key: privateKey, project_id: PROJECT },
  }, developmentPolicy());
});

afterAll(async () => {
  await adapter?.close();
  await fake?.close();
});

describe("BigQuery adapter (real client against a REST fake)", () => {
  it("exports awkward values exactly over several pages, through the CSV writer and a CSV parser", async () => {
    const callsBefore = fake.resultCalls.length;
    const { columns, header, rows, truncated } = await exportAndParse(adapter, {
      sql: "SELECT * FROM shop.awkward",
      maxRows: 1000,
      statementTimeoutMs: 30_000,
    });
    expect(columns.map((c) => c.type)).toEqual([
      "bigint", "text", "decimal", "number", "boolean", "date", "date", "date", "json", "binary", "json", "json",
    ]);
    expect(header).toEqual(["id", "label", "amount", "ratio", "flag", "created_at", "local_at", "day", "doc", "payload", "tags", "place"]);
    const empty = ["", "", "", "", "", "", "", "", "", ""];
    expect(rows).toEqual([
      [
        "1", 'He said "hi", then left', "12345678901234567890.123456789", "0.1", "true", "2024-03-10T07:04:56.789123Z",
        "2024-03-10T12:34:56.789123", "2024-03-10", '{"big":12345678901234567890123,"b":"x,y"}', "AP8Q",
        "[1,99999999999999999999]", '{"name":"x,y","delta":-5}',
      ],
      [
        "2", "line1\r\nline2\nline3", "-12.5", "-1.5E-10", "false", "1969-12-31T23:59:59.000000Z",
        "1999-12-31T23:59:59", "1999-12-31", "[1,2.5]", "", "[]", '{"name":null,"delta":null}',
      ],
      ["3", "🎉 Grüße, 東京", ...empty],
      ["4", `'=HYPERLINK("http://evil")`, ...empty],
      ["5", "'-5", ...empty],
    ]);
    expect(truncated).toBe(false);

    const job = fake.jobs.at(-1);
    expect(job).toMatchObject({ query: "SELECT * FROM shop.awkward", jobTimeoutMs: "30000" });
    expect(fake.dryRuns.at(-1)).toBe("SELECT * FROM shop.awkward");
    // One poll of the unfinished job, then three pages of at most two rows.
    const calls = fake.resultCalls.slice(callsBefore);
    expect(calls.map((c) => c.pageToken === undefined)).toEqual([true, true, false, false]);
    expect(calls.every((c) => c.jobId === job?.jobId)).toBe(true);
  });

  it("asks for no more than maxRows + 1 rows, page by page", async () => {
    const servedBefore = fake.rowsServed;
    const result = await exportAndParse(adapter, { sql: "SELECT * FROM shop.numbers", maxRows: 5, statementTimeoutMs: 5_000, batchSize: 4 });
    expect(result.rowsRead).toBe(6);
    expect(result.rowsWritten).toBe(5);
    expect(result.truncated).toBe(true);
    expect(result.rows.at(-1)).toEqual(["5"]);
    expect(fake.rowsServed - servedBefore).toBe(6);
    // The fake serves two rows a page: a poll, then pages asking for 4, 4 and the last 2.
    const jobId = fake.jobs.at(-1)?.jobId;
    expect(fake.resultCalls.filter((c) => c.jobId === jobId).map((c) => c.maxResults)).toEqual([4, 4, 4, 2]);
  });

  it("refuses anything but a SELECT after a dry run, before any job runs", async () => {
    const jobsBefore = fake.jobs.length;
    for (const [sql, type] of [
      ["DELETE FROM shop.awkward WHERE true", "DELETE"],
      ["DROP TABLE shop.awkward", "DROP_TABLE"],
    ] as const) {
      const error = await failure(drain(adapter, sql));
      expect(error.code).toBe("QUERY_FAILED");
      expect(error.message).toBe(`Only a SELECT can be exported; this statement is a ${type}.`);
    }
    expect(fake.jobs.length).toBe(jobsBefore);
  });

  it("reports BigQuery's error for a bad query", async () => {
    const error = await failure(drain(adapter, "SELECT * FROM shop.nope"));
    expect(error.code).toBe("QUERY_FAILED");
    expect(error.message).toBe(`Not found: Table ${PROJECT}:shop.nope was not found in location US`);
    expect(error.details).toEqual({ sourceCode: "notFound" });
  });

  it("maps a job timeout to TIMEOUT", async () => {
    const error = await failure(drain(adapter, "SELECT slow FROM shop.numbers", 200));
    expect(error.code).toBe("TIMEOUT");
    expect(error.message).toMatch(/^The query timed out after 200 ms/);
    expect(error.details).toEqual({ reason: "statement_timeout", timeoutMs: 200 });
    expect(fake.jobs.at(-1)?.jobTimeoutMs).toBe("200");
  });

  it("tests a connection with SELECT 1", async () => {
    await expect(adapter.test()).resolves.toBeUndefined();
  });

  it("reports refused credentials as UPSTREAM_UNAVAILABLE without key material", async () => {
    const otherKey = newKey();
    const bad = await createSourceAdapter("BIGQUERY", {
      projectId: PROJECT,
      apiEndpoint: fake.url,
      credentials: JSON.stringify({ type: "service_account", client_email: EMAIL, private_key: otherKey }),
    }, developmentPolicy());
    const error = await failure(bad.test());
    expect(error.code).toBe("UPSTREAM_UNAVAILABLE");
    expect(error.message).toBe(CONNECTION_FAILED_MESSAGE);
    const keyBody = otherKey.split("\n")[1] ?? "";
    expect(keyBody.length).toBeGreaterThan(16);
    expect(JSON.stringify({ message: error.message, details: error.details })).not.toContain(keyBody);
  });
});
