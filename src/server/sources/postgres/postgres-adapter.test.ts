/**
 * Against the real PostgreSQL of the tests (tests/support/test-env.ts: 127.0.0.1:5432, user
 * postgres, trust auth, unless told otherwise). Each run creates its own database and drops it
 * at the end.
 */
import { randomBytes } from "node:crypto";

import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

import { eventually, failure } from "../../../../tests/support/assertions";
import { TEST_DATABASE_URL, withDatabase, withPassword } from "../../../../tests/support/test-env";
import { createSourceAdapter } from "../create-source-adapter";
import { developmentPolicy } from "../__fixtures__/target-policy";
import { CONNECTION_FAILED_MESSAGE } from "../source-errors";
import { type SourceAdapter } from "../source-adapter";
import { exportAndParse } from "../__fixtures__/csv-round-trip";
import { drain } from "../__fixtures__/drain";

const PASSWORD = "S3cr3t-Planted-Pw!";
const database = `export_center_sources_${randomBytes(4).toString("hex")}`;
const url = withDatabase(TEST_DATABASE_URL, database);
const server = new URL(TEST_DATABASE_URL);
const serverFields = { host: server.hostname, port: Number(server.port || 5432) };

let adapter: SourceAdapter;

async function admin<T>(db: string, run: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: withDatabase(TEST_DATABASE_URL, db) });
  await client.connect();
  try {
    return await run(client);
  } finally {
    await client.end();
  }
}

async function exportConnections(): Promise<number> {
  return admin("test", async (client) => {
    const { rows } = await client.query<{ n: number }>(
      "SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = $1 AND application_name = 'export-center'",
      [database],
    );
    return rows[0]?.n ?? -1;
  });
}

beforeAll(async () => {
  await admin("test", (client) => client.query(`CREATE DATABASE ${database}`));
  await admin(database, async (client) => {
    await client.query(`
      CREATE TABLE awkward (
        id int PRIMARY KEY, label text, amount numeric(38,9), big int8, ratio float8, flag boolean,
        created_at timestamptz, local_at timestamp, day date, doc jsonb, tags text[], payload bytea
      )`);
    const insert = "INSERT INTO awkward VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12)";
    await client.query(insert, [
      1, 'He said "hi", then left', "12345678901234567890.123456789", "9223372036854775807", 0.1, true,
      "2024-03-10 12:34:56.789123+05:30", "2024-03-10 12:34:56.789123", "2024-03-10",
      '{"a": [1, 2.5], "b": "x,y"}', ["a,b", 'c"d', null], Buffer.from([0x00, 0xff, 0x10]),
    ]);
    await client.query(insert, [
      2, "line1\r\nline2\nline3", "-12.5", "-9223372036854775808", -1.5e-10, false,
      "1999-12-31 23:59:59+00", "1999-12-31 23:59:59", "1999-12-31",
      '{"big": 12345678901234567890123}', [], Buffer.alloc(0),
    ]);
    const labels = ["🎉 Grüße, 東京", '=HYPERLINK("http://evil")', "-5", "@SUM(A1)", "+1", "\tTabbed", "  spaced  ", null];
    for (const [i, label] of labels.entries()) {
      await client.query(insert, [i + 3, label, null, null, null, null, null, null, null, null, null, null]);
    }
  });
  adapter = await createSourceAdapter("POSTGRES", { url }, developmentPolicy());
});

afterAll(async () => {
  await adapter?.close();
  await admin("test", (client) => client.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`));
});

describe("Postgres adapter", () => {
  it("exports awkward values exactly, through the CSV writer and back through a CSV parser", async () => {
    const { columns, header, rows, rowsWritten, truncated } = await exportAndParse(adapter, {
      sql: "SELECT * FROM awkward ORDER BY id",
      maxRows: 1000,
      statementTimeoutMs: 5_000,
      batchSize: 3,
    });
    expect(columns.map((c) => c.type)).toEqual([
      "number", "text", "decimal", "bigint", "number", "boolean", "date", "date", "date", "json", "json", "binary",
    ]);
    expect(header).toEqual(["id", "label", "amount", "big", "ratio", "flag", "created_at", "local_at", "day", "doc", "tags", "payload"]);
    const empty = ["", "", "", "", "", "", "", "", "", ""];
    expect(rows).toEqual([
      [
        "1", 'He said "hi", then left', "12345678901234567890.123456789", "9223372036854775807", "0.1", "true",
        "2024-03-10T07:04:56.789123Z", "2024-03-10T12:34:56.789123", "2024-03-10",
        '{"a": [1, 2.5], "b": "x,y"}', '["a,b","c\\"d",null]', "AP8Q",
      ],
      [
        "2", "line1\r\nline2\nline3", "-12.500000000", "-9223372036854775808", "-1.5e-10", "false",
        "1999-12-31T23:59:59Z", "1999-12-31T23:59:59", "1999-12-31",
        '{"big": 12345678901234567890123}', "[]", "",
      ],
      ["3", "🎉 Grüße, 東京", ...empty],
      ["4", `'=HYPERLINK("http://evil")`, ...empty],
      ["5", "'-5", ...empty],
      ["6", "'@SUM(A1)", ...empty],
      ["7", "'+1", ...empty],
      ["8", "'\tTabbed", ...empty],
      ["9", "  spaced  ", ...empty],
      ["10", "", ...empty],
    ]);
    expect(rowsWritten).toBe(10);
    expect(truncated).toBe(false);
  });

  it("refuses writes: the transaction is read-only and holds one statement", async () => {
    const insert = await failure(drain(adapter, "INSERT INTO awkward (id) VALUES (99)"));
    expect(insert.code).toBe("QUERY_FAILED");
    expect(insert.message).toBe("cannot execute INSERT in a read-only transaction");

    const drop = await failure(drain(adapter, "DROP TABLE awkward"));
    expect(drop.message).toBe("cannot execute DROP TABLE in a read-only transaction");

    const escape = await failure(drain(adapter, "COMMIT; DROP TABLE awkward"));
    expect(escape.message).toBe("cannot insert multiple commands into a prepared statement");

    const { rows } = await exportAndParse(adapter, { sql: "SELECT count(*) FROM awkward", maxRows: 1, statementTimeoutMs: 5_000 });
    expect(rows).toEqual([["10"]]);
  });

  it("reports SQL errors with the database's message", async () => {
    const error = await failure(drain(adapter, "SELECT * FROM nope"));
    expect(error.code).toBe("QUERY_FAILED");
    expect(error.message).toBe('relation "nope" does not exist');
    expect(error.details).toEqual({ sqlState: "42P01" });
  });

  it("cancels a statement that runs past the timeout", async () => {
    const started = Date.now();
    const error = await failure(drain(adapter, "SELECT pg_sleep(5)", 200));
    expect(Date.now() - started).toBeLessThan(2_000);
    expect(error.code).toBe("TIMEOUT");
    expect(error.message).toMatch(/^The query timed out after 200 ms \(canceling statement due to statement timeout\)/);
    expect(error.details).toEqual({ reason: "statement_timeout", timeoutMs: 200 });
  });

  it("stops a 10-million-row query after maxRows + 1 rows and closes its connection", async () => {
    const started = Date.now();
    const result = await exportAndParse(adapter, {
      sql: "SELECT generate_series(1, 10000000) AS n, md5(random()::text) AS filler",
      maxRows: 1000,
      statementTimeoutMs: 60_000,
      batchSize: 300,
    });
    expect(Date.now() - started).toBeLessThan(3_000);
    expect(result.rowsRead).toBe(1001);
    expect(result.rowsWritten).toBe(1000);
    expect(result.truncated).toBe(true);
    expect(result.rows.at(-1)?.[0]).toBe("1000");
    expect(await eventually(async () => (await exportConnections()) === 0)).toBe(true);
  });

  it("closes the connection of a result nobody reads when the adapter closes", async () => {
    const own = await createSourceAdapter("POSTGRES", { url }, developmentPolicy());
    await own.query({ sql: "SELECT * FROM awkward", maxRows: 10, statementTimeoutMs: 5_000 });
    expect(await exportConnections()).toBe(1);
    await own.close();
    expect(await eventually(async () => (await exportConnections()) === 0)).toBe(true);
  });

  it("rejects with the abort reason when the caller aborts", async () => {
    const controller = new AbortController();
    const reason = new Error("export cancelled");
    setTimeout(() => controller.abort(reason), 100);
    const started = Date.now();
    const promise = adapter.query({ sql: "SELECT pg_sleep(5)", maxRows: 1, statementTimeoutMs: 10_000, signal: controller.signal });
    await expect(promise).rejects.toBe(reason);
    expect(Date.now() - started).toBeLessThan(2_000);
  });

  it("tests a connection with SELECT 1", async () => {
    await expect(adapter.test()).resolves.toBeUndefined();
  });

  describe("the COPY fast path", () => {
    // Every type the row path formats specially, plus the awkward table, under both settings.
    const everyType = `
      SELECT a.*, a.id AS id, interval '-1 day' AS span, 'ab'::char(4) AS padded, inet '192.168.0.1' AS ip,
             timestamptz 'infinity' AS forever, timestamp '0044-03-15 10:00 BC' AS ancient,
             ARRAY[1.50, -2]::numeric[] AS nums, json '{"x": 1}' AS j, jsonb '-5' AS negative_json,
             uuid '0b5c2c5e-6f5e-4a8e-9a65-2d1f0f6f4b1e' AS uid, time '10:11:12' AS t, '' AS empty_text
      FROM awkward a ORDER BY a.id;`;

    it("writes exactly the cells the row path writes", async () => {
      for (const neutralizeFormulas of [true, false]) {
        const query = { sql: everyType, maxRows: 1000, statementTimeoutMs: 5_000 };
        const viaRows = await exportAndParse(adapter, query, { neutralizeFormulas });
        const viaCopy = await exportAndParse(adapter, query, { neutralizeFormulas, databaseCsv: true });
        expect(viaRows.encodedBy).toBe("app");
        expect(viaCopy.encodedBy).toBe("database");
        expect(viaCopy.columns).toEqual(viaRows.columns);
        expect(viaCopy.header).toEqual(viaRows.header);
        expect(viaCopy.rows).toEqual(viaRows.rows);
        expect(viaCopy.rows).toHaveLength(10);
      }
    });

    it("leaves statements it cannot wrap to the row path, which gives the database's own answer", async () => {
      const refused = [
        "INSERT INTO awkward (id) VALUES (99)",
        "WITH gone AS (DELETE FROM awkward RETURNING id) SELECT * FROM gone",
        "SELECT 1; COMMIT; DROP TABLE awkward",
        // SQL written to close the wrapping early and run statements of its own.
        "SELECT 1) AS x; COMMIT; DROP TABLE awkward; SELECT * FROM (SELECT 1",
      ];
      for (const sql of refused) {
        const viaCopy = await failure(exportAndParse(adapter, { sql, maxRows: 10, statementTimeoutMs: 5_000 }, { databaseCsv: true }));
        const viaRows = await failure(drain(adapter, sql));
        expect(viaCopy.code).toBe("QUERY_FAILED");
        expect(viaCopy.message).toBe(viaRows.message);
      }
      expect((await failure(drain(adapter, refused[0]!))).message).toBe("cannot execute INSERT in a read-only transaction");
      // The table survived, and a trailing semicolon does not stop the fast path.
      const count = await exportAndParse(adapter, { sql: "SELECT count(*) FROM awkward;  \n", maxRows: 1, statementTimeoutMs: 5_000 }, { databaseCsv: true });
      expect(count).toMatchObject({ encodedBy: "database", rows: [["10"]] });
    });

    it("stops a 10-million-row COPY after maxRows + 1 rows and closes its connection", async () => {
      const started = Date.now();
      const result = await exportAndParse(
        adapter,
        { sql: "SELECT generate_series(1, 10000000) AS n, md5(random()::text) AS filler", maxRows: 1000, statementTimeoutMs: 60_000 },
        { databaseCsv: true },
      );
      expect(result.encodedBy).toBe("database");
      expect(Date.now() - started).toBeLessThan(3_000);
      expect(result).toMatchObject({ rowsWritten: 1000, truncated: true });
      expect(result.rows.at(-1)?.[0]).toBe("1000");
      expect(await eventually(async () => (await exportConnections()) === 0)).toBe(true);
    });

    // PostgreSQL sends a COPY record a protocol message, and the adapter frames records by them
    // (copy-out-records.ts): messages larger than a socket read, notices among them, an error
    // after rows have gone out, and a reader stopped half-way all have to keep it in step.
    it("frames records by the protocol's messages: records larger than a socket read, notices among them", async () => {
      const big = "SELECT g AS n, repeat(E'line\\n' || 'say \"hi\", ', 40000 * g) AS text FROM generate_series(1, 4) g";
      const viaRows = await exportAndParse(adapter, { sql: big, maxRows: 10, statementTimeoutMs: 10_000 });
      const viaCopy = await exportAndParse(adapter, { sql: big, maxRows: 10, statementTimeoutMs: 10_000 }, { databaseCsv: true });
      expect(viaCopy).toMatchObject({ encodedBy: "database", rowsWritten: 4 });
      expect(viaCopy.rows[3]![1]).toHaveLength(15 * 160_000);
      expect(viaCopy.rows).toEqual(viaRows.rows);

      await admin(database, (client) =>
        client.query(`CREATE OR REPLACE FUNCTION noisy(i int) RETURNS int LANGUAGE plpgsql AS $$
          BEGIN IF i % 100 = 0 THEN RAISE NOTICE 'row %', i; END IF; RETURN i; END $$`),
      );
      const noisy = await exportAndParse(adapter, { sql: "SELECT noisy(g) AS n FROM generate_series(1, 5000) g", maxRows: 10_000, statementTimeoutMs: 10_000 }, { databaseCsv: true });
      expect(noisy).toMatchObject({ encodedBy: "database", rowsWritten: 5000, truncated: false });
      expect(noisy.rows.map(([n]) => Number(n))).toEqual(Array.from({ length: 5000 }, (_, i) => i + 1));
    });

    it("reports an error that comes after rows have gone out, and a reader stopped half-way leaves no connection", async () => {
      const failing = await failure(
        exportAndParse(adapter, { sql: "SELECT g, 1 / (200000 - g) AS x FROM generate_series(1, 300000) g", maxRows: 1_000_000, statementTimeoutMs: 10_000 }, { databaseCsv: true }),
      );
      expect(failing).toMatchObject({ code: "QUERY_FAILED", message: "division by zero" });

      const tooLarge = await failure(
        exportAndParse(adapter, { sql: "SELECT generate_series(1, 10000000) AS n, md5(random()::text) AS filler", maxRows: 20_000_000, statementTimeoutMs: 60_000 }, { databaseCsv: true, maxBytes: 1_000_000 }),
      );
      expect(tooLarge.code).toBe("FILE_TOO_LARGE");
      expect(await eventually(async () => (await exportConnections()) === 0)).toBe(true);
      const after = await exportAndParse(adapter, { sql: "SELECT count(*) FROM awkward", maxRows: 1, statementTimeoutMs: 5_000 }, { databaseCsv: true });
      expect(after.rows).toEqual([["10"]]);
    });

    it("reports a statement timeout and an abort as the row path does", async () => {
      const timedOut = await failure(
        exportAndParse(adapter, { sql: "SELECT pg_sleep(5)", maxRows: 1, statementTimeoutMs: 200 }, { databaseCsv: true }),
      );
      expect(timedOut.code).toBe("TIMEOUT");
      expect(timedOut.details).toEqual({ reason: "statement_timeout", timeoutMs: 200 });

      const controller = new AbortController();
      const reason = new Error("export cancelled");
      setTimeout(() => controller.abort(reason), 300);
      const started = Date.now();
      const aborted = exportAndParse(adapter, { sql: "SELECT pg_sleep(5)", maxRows: 1, statementTimeoutMs: 10_000, signal: controller.signal }, { databaseCsv: true });
      await expect(aborted).rejects.toBe(reason);
      expect(Date.now() - started).toBeLessThan(2_000);
      expect(await eventually(async () => (await exportConnections()) === 0)).toBe(true);
    });
  });

  describe("never echoes a password", () => {
    const cases: [string, unknown][] = [
      ["an unknown host", { url: `postgresql://postgres:${PASSWORD}@nonexistent.invalid:5432/test` }],
      ["a closed port", { url: `postgresql://postgres:${encodeURIComponent(PASSWORD)}@127.0.0.1:1/test` }],
      ["an unknown database", { ...serverFields, database: "nope_db", user: "postgres", password: PASSWORD }],
      ["an unknown user", { ...serverFields, database: "test", user: "nobody_here", password: PASSWORD }],
    ];
    for (const [what, credentials] of cases) {
      it(`when the connection fails: ${what}`, async () => {
        const bad = await createSourceAdapter("POSTGRES", credentials, developmentPolicy());
        const error = await failure(bad.test());
        expect(error.code).toBe("UPSTREAM_UNAVAILABLE");
        expect(error.message).toBe(CONNECTION_FAILED_MESSAGE);
        expect(JSON.stringify({ message: error.message, details: error.details, stack: error.stack })).not.toContain(PASSWORD);
        expect(error.message).not.toContain(encodeURIComponent(PASSWORD));
      });
    }

    it("when the database's error quotes it", async () => {
      const own = await createSourceAdapter("POSTGRES", { url: withPassword(url, PASSWORD) }, developmentPolicy());
      const error = await failure(drain(own, `SELECT '${PASSWORD}'::int`));
      expect(error.code).toBe("QUERY_FAILED");
      expect(error.message).toBe('invalid input syntax for type integer: "[redacted]"');
      await own.close();
    });
  });
});
