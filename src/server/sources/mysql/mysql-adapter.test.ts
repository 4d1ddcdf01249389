/**
 * Against the real MariaDB of TEST_MYSQL_ADMIN_URL (tests/support/test-env.ts: root without a
 * password on 127.0.0.1:3306 unless told otherwise). Each run
 * creates its own database and user and drops them at the end. The MySQL-only branch (the
 * `max_execution_time` timeout) is not exercised here: there is no MySQL server locally.
 */
import { randomBytes } from "node:crypto";

import { type Connection, createConnection } from "mysql2/promise";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

import { eventually, failure } from "../../../../tests/support/assertions";
import { TEST_MYSQL_ADMIN_URL, withDatabase } from "../../../../tests/support/test-env";
import { createSourceAdapter } from "../create-source-adapter";
import { developmentPolicy } from "../__fixtures__/target-policy";
import { CONNECTION_FAILED_MESSAGE } from "../source-errors";
import { type SourceAdapter } from "../source-adapter";
import { exportAndParse } from "../__fixtures__/csv-round-trip";
import { drain } from "../__fixtures__/drain";

const PASSWORD = "S3cr3t-Planted-Pw!";
const suffix = randomBytes(4).toString("hex");
const database = `export_center_sources_${suffix}`;
const reader = `export_reader_${suffix}`;
const server = new URL(TEST_MYSQL_ADMIN_URL);
const root = {
  host: server.hostname,
  port: Number(server.port || 3306),
  user: decodeURIComponent(server.username),
  ...(server.password ? { password: decodeURIComponent(server.password) } : {}),
  database,
};

let adminConnection: Connection;
let adapter: SourceAdapter;

async function exportConnections(): Promise<number> {
  const [rows] = await adminConnection.query(
    "SELECT count(*) AS n FROM information_schema.processlist WHERE db = ? AND id <> CONNECTION_ID()",
    [database],
  );
  return Number((rows as { n: number }[])[0]?.n ?? -1);
}

beforeAll(async () => {
  adminConnection = await createConnection(TEST_MYSQL_ADMIN_URL);
  await adminConnection.query(`CREATE DATABASE ${database} CHARACTER SET utf8mb4`);
  await adminConnection.query(`CREATE USER '${reader}'@'%' IDENTIFIED BY '${PASSWORD}'`);
  await adminConnection.query(`GRANT SELECT ON ${database}.* TO '${reader}'@'%'`);
  await adminConnection.query(`USE ${database}`);
  await adminConnection.query(`
    CREATE TABLE awkward (
      id INT PRIMARY KEY, label VARCHAR(200), amount DECIMAL(38,9), big BIGINT, ratio DOUBLE, flag TINYINT(1),
      created_at TIMESTAMP(6) NULL DEFAULT NULL, local_at DATETIME(6), day DATE, doc JSON, payload VARBINARY(16)
    ) CHARACTER SET utf8mb4`);
  // TIMESTAMP values are entered in +05:30 and stored in UTC; DATETIME is stored as written.
  await adminConnection.query("SET time_zone = '+05:30'");
  const insert = "INSERT INTO awkward VALUES (?,?,?,?,?,?,?,?,?,?,?)";
  await adminConnection.query(insert, [
    1, 'He said "hi", then left', "12345678901234567890.123456789", "9223372036854775807", 0.1, 1,
    "2024-03-10 12:34:56.789123", "2024-03-10 12:34:56.789123", "2024-03-10",
    '{"a": [1, 2.5], "b": "x,y"}', Buffer.from([0x00, 0xff, 0x10]),
  ]);
  await adminConnection.query(insert, [
    2, "line1\r\nline2\nline3", "-12.5", "-9223372036854775808", -1.5e-10, 0,
    "2000-01-01 05:29:59", "1999-12-31 23:59:59", "1999-12-31",
    '{"big": 12345678901234567890123}', Buffer.alloc(0),
  ]);
  const labels = ["🎉 Grüße, 東京", '=HYPERLINK("http://evil")', "-5", "@SUM(A1)", "+1", "\tTabbed", "  spaced  ", null];
  for (const [i, label] of labels.entries()) {
    await adminConnection.query(insert, [i + 3, label, null, null, null, null, null, null, null, null, null]);
  }
  adapter = await createSourceAdapter("MYSQL", root, developmentPolicy());
});

afterAll(async () => {
  await adapter?.close();
  await adminConnection.query(`DROP DATABASE IF EXISTS ${database}`);
  await adminConnection.query(`DROP USER IF EXISTS '${reader}'@'%'`);
  await adminConnection.end();
});

describe("MySQL/MariaDB adapter", () => {
  it("exports awkward values exactly, through the CSV writer and back through a CSV parser", async () => {
    const { columns, header, rows, rowsWritten, truncated } = await exportAndParse(adapter, {
      sql: "SELECT * FROM awkward ORDER BY id",
      maxRows: 1000,
      statementTimeoutMs: 5_000,
      batchSize: 3,
    });
    expect(columns.map((c) => c.type)).toEqual([
      "number", "text", "decimal", "bigint", "number", "number", "date", "date", "date", "json", "binary",
    ]);
    expect(header).toEqual(["id", "label", "amount", "big", "ratio", "flag", "created_at", "local_at", "day", "doc", "payload"]);
    const empty = ["", "", "", "", "", "", "", "", ""];
    expect(rows).toEqual([
      [
        "1", 'He said "hi", then left', "12345678901234567890.123456789", "9223372036854775807", "0.1", "1",
        "2024-03-10T07:04:56.789123Z", "2024-03-10T12:34:56.789123", "2024-03-10",
        '{"a": [1, 2.5], "b": "x,y"}', "AP8Q",
      ],
      [
        "2", "line1\r\nline2\nline3", "-12.500000000", "-9223372036854775808", "-1.5e-10", "0",
        "1999-12-31T23:59:59.000000Z", "1999-12-31T23:59:59.000000", "1999-12-31",
        '{"big": 12345678901234567890123}', "",
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

  it("writes every cell on the CSV path exactly as the row path writes it", async () => {
    // Types beyond the awkward table's: zero-filled and small integers, FLOAT, TIME, BIT, ENUM,
    // TEXT and BLOB, zero dates, and doubles the driver parses digit by digit (16 digits and a dot).
    await adminConnection.query(`CREATE TABLE IF NOT EXISTS more_types (
      id INT PRIMARY KEY, z INT(5) ZEROFILL, tiny TINYINT, f FLOAT, d DOUBLE, t TIME(3), b BIT(10), e ENUM('x', '=y'),
      txt TEXT, blobby BLOB, y YEAR, zero_dt DATETIME, zero_d DATE, u BIGINT UNSIGNED)`);
    await adminConnection.query("SET SESSION sql_mode = ''");
    await adminConnection.query(
      `INSERT IGNORE INTO more_types VALUES
        (1, 7, -128, 3.14159, 0.1234567890123456, '-12:34:56.789', b'1010101010', '=y', ' lead, "q"\n', x'00ff', 2024, '0000-00-00 00:00:00', '0000-00-00', 18446744073709551615),
        (2, 0, 127, -1e-7, 1234567.890123456, '838:59:59', b'0', 'x', '', '', 1901, NULL, NULL, 0),
        (3, NULL, NULL, NULL, 9007199254740993, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL)`,
    );
    for (const sql of ["SELECT * FROM awkward ORDER BY id", "SELECT * FROM more_types ORDER BY id"]) {
      const query = { sql, maxRows: 1000, statementTimeoutMs: 5_000, batchSize: 2 };
      const rows = await exportAndParse(adapter, query);
      const csv = await exportAndParse(adapter, query, { databaseCsv: true });
      expect(csv.encodedBy).toBe("database");
      expect(csv.columns).toEqual(rows.columns);
      expect(csv.header).toEqual(rows.header);
      expect(csv.rows).toEqual(rows.rows);
      expect(csv.rows.length).toBeGreaterThan(2);
    }
  });

  it("falls back to the row path for a column it has no byte form for (GEOMETRY)", async () => {
    const result = await exportAndParse(
      adapter,
      { sql: "SELECT 1 AS id, ST_GeomFromText('POINT(1 2)') AS place", maxRows: 10, statementTimeoutMs: 5_000 },
      { databaseCsv: true },
    );
    expect(result.encodedBy).toBe("app");
    expect(result.rows).toEqual([["1", '{"x":1,"y":2}']]);
    expect(await eventually(async () => (await exportConnections()) === 0)).toBe(true);
  });

  it("stops the CSV path after maxRows + 1 rows and closes its connection", async () => {
    const started = Date.now();
    const result = await exportAndParse(
      adapter,
      { sql: "SELECT seq AS n, md5(seq) AS filler FROM seq_1_to_10000000", maxRows: 1000, statementTimeoutMs: 60_000 },
      { databaseCsv: true },
    );
    expect(Date.now() - started).toBeLessThan(3_000);
    expect(result.encodedBy).toBe("database");
    expect(result.rowsWritten).toBe(1000);
    expect(result.truncated).toBe(true);
    expect(result.rows.at(-1)?.[0]).toBe("1000");
    expect(await eventually(async () => (await exportConnections()) === 0)).toBe(true);
  });

  it("refuses writes and DDL in the read-only session, even as root", async () => {
    for (const sql of ["INSERT INTO awkward (id) VALUES (99)", "DROP TABLE awkward", "CREATE TABLE sneaky (a int)"]) {
      const error = await failure(drain(adapter, sql));
      expect(error.code).toBe("QUERY_FAILED");
      expect(error.message).toBe("Cannot execute statement in a READ ONLY transaction");
    }
    const { rows } = await exportAndParse(adapter, { sql: "SELECT count(*) FROM awkward", maxRows: 1, statementTimeoutMs: 5_000 });
    expect(rows).toEqual([["10"]]);
  });

  it("takes only the target from a URL, so its query string cannot enable multiple statements", async () => {
    const own = await createSourceAdapter("MYSQL", { url: `${withDatabase(TEST_MYSQL_ADMIN_URL, database)}?multipleStatements=true` }, developmentPolicy());
    const error = await failure(drain(own, "SELECT 1; DROP TABLE awkward"));
    expect(error.code).toBe("QUERY_FAILED");
    expect(error.message).toMatch(/You have an error in your SQL syntax/);
    await own.close();
  });

  it("reports SQL errors with the database's message", async () => {
    const error = await failure(drain(adapter, "SELECT * FROM nope"));
    expect(error.code).toBe("QUERY_FAILED");
    expect(error.message).toBe(`Table '${database}.nope' doesn't exist`);
  });

  it("interrupts a statement that runs past the timeout", async () => {
    const started = Date.now();
    const error = await failure(drain(adapter, "SELECT SLEEP(5)", 200));
    expect(Date.now() - started).toBeLessThan(2_000);
    expect(error.code).toBe("TIMEOUT");
    expect(error.message).toBe("The query timed out after 200 ms (Query execution was interrupted (max_statement_time exceeded))");
    expect(error.details).toEqual({ reason: "statement_timeout", timeoutMs: 200 });
  });

  it("stops a 10-million-row query after maxRows + 1 rows and closes its connection", async () => {
    const started = Date.now();
    const result = await exportAndParse(adapter, {
      sql: "SELECT seq AS n, md5(seq) AS filler FROM seq_1_to_10000000",
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
    const own = await createSourceAdapter("MYSQL", root, developmentPolicy());
    await own.query({ sql: "SELECT seq FROM seq_1_to_1000000", maxRows: 100_000, statementTimeoutMs: 5_000, batchSize: 10 });
    expect(await exportConnections()).toBe(1);
    await own.close();
    expect(await eventually(async () => (await exportConnections()) === 0)).toBe(true);
  });

  it("tests a connection with SELECT 1", async () => {
    await expect(adapter.test()).resolves.toBeUndefined();
  });

  describe("never echoes a password", () => {
    const cases: [string, unknown][] = [
      ["a wrong password", { ...root, password: PASSWORD }],
      ["an unknown host", { url: `mysql://root:${PASSWORD}@nonexistent.invalid:3306/test` }],
      ["a closed port", { url: `mysql://root:${encodeURIComponent(PASSWORD)}@127.0.0.1:1/test` }],
    ];
    for (const [what, credentials] of cases) {
      it(`when the connection fails: ${what}`, async () => {
        const bad = await createSourceAdapter("MYSQL", credentials, developmentPolicy());
        const error = await failure(bad.test());
        expect(error.code).toBe("UPSTREAM_UNAVAILABLE");
        expect(error.message).toBe(CONNECTION_FAILED_MESSAGE);
        expect(JSON.stringify({ message: error.message, details: error.details, stack: error.stack })).not.toContain(PASSWORD);
        expect(error.message).not.toContain(encodeURIComponent(PASSWORD));
      });
    }

    it("when the database's error quotes it", async () => {
      const own = await createSourceAdapter("MYSQL", { ...root, user: reader, password: PASSWORD }, developmentPolicy());
      const error = await failure(drain(own, `SELECT * FROM \`${PASSWORD}\``));
      expect(error.code).toBe("QUERY_FAILED");
      expect(error.message).toBe(`Table '${database}.[redacted]' doesn't exist`);
      await own.close();
    });
  });
});
