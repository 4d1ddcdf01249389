/**
 * Each typed format, read back by an independent reader (exceljs for XLSX, hyparquet for
 * Parquet, JSON.parse per line for JSON Lines) and compared cell by cell with what the source
 * table holds: the awkward values of the CSV tests, on the real PostgreSQL and MariaDB of the
 * tests (tests/support/test-env.ts). Each run creates its own databases and drops them.
 */
import { randomBytes } from "node:crypto";

import ExcelJS from "exceljs";
import { parquetMetadata, parquetReadObjects } from "hyparquet";
import { type Connection, createConnection } from "mysql2/promise";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

import { isAppError } from "~/server/errors";
import { createSourceAdapter, type SourceAdapter } from "~/server/sources";

import { TEST_MYSQL_ADMIN_URL, TEST_POSTGRES_ADMIN_URL, withDatabase } from "../../../../tests/support/test-env";
import { developmentPolicy } from "../../sources/__fixtures__/target-policy";
import { encodeQuery } from "./__fixtures__/encode-query";
import { jsonlFormat } from "./jsonl";
import { parquetFormat } from "./parquet";
import { xlsxFormat } from "./xlsx";

const database = `export_center_formats_${randomBytes(4).toString("hex")}`;
const DOC_TEXT = '{\n  "a": [1, 2.5],\n  "b": "x\\ny"\n}';
const BIG_DOC = '{"big": 12345678901234567890123}';
const LABELS = ["🎉 Grüße, 東京", '=HYPERLINK("http://evil")', "-5", "@SUM(A1)", "+1", null] as const;
const query = { sql: "SELECT * FROM awkward ORDER BY id", maxRows: 1000, statementTimeoutMs: 5_000, batchSize: 3 };

/** The source's rows, as each column's own type holds them. */
const source = [
  {
    id: 1, label: 'He said "hi", then left', amount: "12345678901234567890.1234567890", big: "9223372036854775807", ratio: 0.1, flag: true,
    created_at: { iso: "2024-03-10T07:04:56.789123Z", micros: 1710054296789123n }, local_at: { iso: "2024-03-10T12:34:56.789123", micros: 1710074096789123n },
    day: "2024-03-10", doc: DOC_TEXT, tags: ["a,b", 'c"d', null], payload: Buffer.from([0x00, 0xff, 0x10]),
  },
  {
    id: 2, label: "line1\r\nline2\nline3", amount: "-12.5000000000", big: "-9223372036854775808", ratio: -1.5e-10, flag: false,
    created_at: { iso: "1999-12-31T23:59:59.000000Z", micros: 946684799000000n }, local_at: { iso: "1999-12-31T23:59:59.000000", micros: 946684799000000n },
    day: "1999-12-31", doc: BIG_DOC, tags: [], payload: Buffer.alloc(0),
  },
];
const sparse = LABELS.map((label, i) => ({ id: i + 3, label }));

async function postgres(run: (client: pg.Client) => Promise<unknown>, db = "postgres"): Promise<void> {
  const client = new pg.Client({ connectionString: withDatabase(TEST_POSTGRES_ADMIN_URL, db) });
  await client.connect();
  try {
    await run(client);
  } finally {
    await client.end();
  }
}

async function read(adapter: SourceAdapter, format: typeof xlsxFormat, limits?: { maxRows?: number; maxBytes?: number }) {
  return encodeQuery(adapter, format, query, limits);
}

function sheetOf(workbook: ExcelJS.Workbook): ExcelJS.Worksheet {
  const sheet = workbook.worksheets[0];
  if (!sheet) throw new Error("The workbook has no sheet");
  return sheet;
}

type Source = { name: string; adapter: () => SourceAdapter; hasArrays: boolean; flagsAreNumbers: boolean };
let pgAdapter: SourceAdapter;
let mysqlAdapter: SourceAdapter;
let mysqlAdmin: Connection;

beforeAll(async () => {
  await postgres((client) => client.query(`CREATE DATABASE ${database}`));
  await postgres(async (client) => {
    await client.query(`
      CREATE TABLE awkward (
        id int PRIMARY KEY, label text, amount numeric(38,10), big int8, ratio float8, flag boolean,
        created_at timestamptz, local_at timestamp, day date, doc json, tags text[], payload bytea
      )`);
    const insert = "INSERT INTO awkward VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12)";
    await client.query(insert, [1, source[0]!.label, "12345678901234567890.123456789", source[0]!.big, 0.1, true,
      "2024-03-10 12:34:56.789123+05:30", "2024-03-10 12:34:56.789123", "2024-03-10", DOC_TEXT, source[0]!.tags, source[0]!.payload]);
    await client.query(insert, [2, source[1]!.label, "-12.5", source[1]!.big, -1.5e-10, false,
      "1999-12-31 23:59:59+00", "1999-12-31 23:59:59", "1999-12-31", BIG_DOC, [], source[1]!.payload]);
    for (const { id, label } of sparse) await client.query("INSERT INTO awkward (id, label) VALUES ($1, $2)", [id, label]);
  }, database);
  pgAdapter = await createSourceAdapter("POSTGRES", { url: withDatabase(TEST_POSTGRES_ADMIN_URL, database) }, developmentPolicy());

  mysqlAdmin = await createConnection(TEST_MYSQL_ADMIN_URL);
  await mysqlAdmin.query(`CREATE DATABASE ${database} CHARACTER SET utf8mb4`);
  await mysqlAdmin.query(`USE ${database}`);
  await mysqlAdmin.query(`
    CREATE TABLE awkward (
      id INT PRIMARY KEY, label VARCHAR(200), amount DECIMAL(38,10), big BIGINT, ratio DOUBLE, flag BOOLEAN,
      created_at TIMESTAMP(6) NULL DEFAULT NULL, local_at DATETIME(6), day DATE, doc JSON, payload VARBINARY(16)
    ) CHARACTER SET utf8mb4`);
  await mysqlAdmin.query("SET time_zone = '+05:30'");
  const insert = "INSERT INTO awkward VALUES (?,?,?,?,?,?,?,?,?,?,?)";
  await mysqlAdmin.query(insert, [1, source[0]!.label, "12345678901234567890.123456789", source[0]!.big, 0.1, 1,
    "2024-03-10 12:34:56.789123", "2024-03-10 12:34:56.789123", "2024-03-10", DOC_TEXT, source[0]!.payload]);
  await mysqlAdmin.query(insert, [2, source[1]!.label, "-12.5", source[1]!.big, -1.5e-10, 0,
    "2000-01-01 05:29:59", "1999-12-31 23:59:59", "1999-12-31", BIG_DOC, source[1]!.payload]);
  for (const { id, label } of sparse) await mysqlAdmin.query("INSERT INTO awkward (id, label) VALUES (?, ?)", [id, label]);
  const server = new URL(TEST_MYSQL_ADMIN_URL);
  mysqlAdapter = await createSourceAdapter(
    "MYSQL",
    { host: server.hostname, port: Number(server.port || 3306), user: decodeURIComponent(server.username), database },
    developmentPolicy(),
  );
});

afterAll(async () => {
  await pgAdapter?.close();
  await mysqlAdapter?.close();
  await postgres((client) => client.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`));
  await mysqlAdmin?.query(`DROP DATABASE IF EXISTS ${database}`);
  await mysqlAdmin?.end();
});

const sources: Source[] = [
  { name: "PostgreSQL", adapter: () => pgAdapter, hasArrays: true, flagsAreNumbers: false },
  // MariaDB has no arrays, and its BOOLEAN is TINYINT(1), an integer.
  { name: "MariaDB", adapter: () => mysqlAdapter, hasArrays: false, flagsAreNumbers: true },
];

describe.each(sources)("typed formats from $name", ({ adapter, hasArrays, flagsAreNumbers }) => {
  const columns = ["id", "label", "amount", "big", "ratio", "flag", "created_at", "local_at", "day", "doc", ...(hasArrays ? ["tags"] : []), "payload"];
  const flag = (value: boolean) => (flagsAreNumbers ? Number(value) : value);

  it("JSON Lines: one object a line, keys in column order, exact digits as strings, µs timestamps, nested JSON", async () => {
    const { file, summary } = await read(adapter(), jsonlFormat);
    const text = file.toString("utf8");
    const lines = text.split("\n");
    expect(lines.pop()).toBe("");
    expect(lines).toHaveLength(source.length + sparse.length);
    const records = lines.map((line) => JSON.parse(line) as Record<string, unknown>);
    for (const record of records) expect(Object.keys(record)).toEqual(columns);
    source.forEach((row, i) => {
      expect(records[i]).toEqual({
        id: row.id, label: row.label, amount: row.amount, big: row.big, ratio: row.ratio, flag: flag(row.flag),
        created_at: row.created_at.iso, local_at: row.local_at.iso, day: row.day, doc: JSON.parse(row.doc),
        ...(hasArrays ? { tags: row.tags } : {}), payload: row.payload.toString("base64"),
      });
    });
    // JSON.parse would round the nested number; the file keeps its digits.
    expect(lines[1]).toContain('"doc":{"big":12345678901234567890123}');
    sparse.forEach(({ id, label }, i) => {
      expect(records[source.length + i]).toEqual(Object.fromEntries(columns.map((c) => [c, c === "id" ? id : c === "label" ? label : null])));
    });
    expect(summary).toEqual({ rows: 8, bytes: file.length, truncated: false });
  });

  it("Parquet: typed columns, all optional, read back by hyparquet", async () => {
    const { file, summary } = await read(adapter(), parquetFormat);
    const buffer = new Uint8Array(file).buffer;
    const metadata = parquetMetadata(buffer);
    const schema = Object.fromEntries(metadata.schema.slice(1).map((e) => [e.name, e]));
    expect(Object.keys(schema)).toEqual(columns);
    for (const element of Object.values(schema)) expect(element.repetition_type).toBe("OPTIONAL");
    expect(schema.id).toMatchObject({ type: "INT32" });
    expect(schema.amount).toMatchObject({ type: "FIXED_LEN_BYTE_ARRAY", precision: 38, scale: 10, logical_type: { type: "DECIMAL", precision: 38, scale: 10 } });
    expect(schema.big).toMatchObject({ type: "INT64" });
    expect(schema.ratio).toMatchObject({ type: "DOUBLE" });
    expect(schema.flag).toMatchObject({ type: flagsAreNumbers ? "INT32" : "BOOLEAN" });
    expect(schema.created_at).toMatchObject({ type: "INT64", logical_type: { type: "TIMESTAMP", isAdjustedToUTC: true, unit: "MICROS" } });
    expect(schema.local_at).toMatchObject({ type: "INT64", logical_type: { type: "TIMESTAMP", isAdjustedToUTC: false, unit: "MICROS" } });
    expect(schema.day).toMatchObject({ type: "INT32", logical_type: { type: "DATE" } });
    expect(schema.doc).toMatchObject({ type: "BYTE_ARRAY", logical_type: { type: "JSON" } });
    expect(schema.payload).toMatchObject({ type: "BYTE_ARRAY" });
    expect(schema.payload?.logical_type).toBeUndefined();

    const rows = await parquetReadObjects({
      file: buffer,
      // Binary stays bytes (hyparquet would decode any BYTE_ARRAY as UTF-8 text otherwise).
      utf8: false,
      // The raw stored values, so that microseconds and days are compared exactly.
      parsers: { timestampFromMicroseconds: (micros: bigint) => micros, dateFromDays: (days: number) => days },
    });
    expect(rows).toHaveLength(8);
    source.forEach((row, i) => {
      const read = rows[i]!;
      expect(read.id).toBe(row.id);
      expect(read.label).toBe(row.label);
      // hyparquet reads a decimal as a double; the schema above holds its exact precision and scale.
      expect(read.amount).toBe(Number(row.amount));
      expect(read.big).toBe(BigInt(row.big));
      expect(read.ratio).toBe(row.ratio);
      expect(read.flag).toBe(flag(row.flag));
      expect(read.created_at).toBe(row.created_at.micros);
      expect(read.local_at).toBe(row.local_at.micros);
      expect(read.day).toBe(Date.parse(row.day) / 86_400_000);
      expect(JSON.parse(new TextDecoder().decode(read.doc as Uint8Array))).toEqual(JSON.parse(row.doc));
      if (hasArrays) expect(JSON.parse(new TextDecoder().decode(read.tags as Uint8Array))).toEqual(row.tags);
      expect(Buffer.from(read.payload as Uint8Array)).toEqual(row.payload);
    });
    sparse.forEach(({ id, label }, i) => {
      const read = rows[source.length + i]!;
      expect(read).toEqual(Object.fromEntries(columns.map((c) => [c, c === "id" ? id : c === "label" ? label : null])));
    });
    expect(summary).toEqual({ rows: 8, bytes: file.length, truncated: false });
  });

  it("XLSX: numbers, text beyond 15 digits, booleans, UTC dates, JSON text, base64, a bold frozen header; '=' is text", async () => {
    const { file, summary } = await read(adapter(), xlsxFormat);
    const workbook = new ExcelJS.Workbook();
    await workbook.xlsx.load(new Uint8Array(file).buffer);
    const sheet = sheetOf(workbook);
    const header = sheet.getRow(1);
    expect(header.values).toEqual([undefined, ...columns.map((c) => (c === "created_at" ? "created_at (UTC)" : c))]);
    expect(header.getCell(1).font?.bold).toBe(true);
    expect(sheet.views[0]).toMatchObject({ state: "frozen", ySplit: 1 });
    expect(sheet.getColumn(2).width).toBeGreaterThan(20);
    expect(sheet.rowCount).toBe(9);

    const cell = (row: number, column: string) => sheet.getRow(row + 2).getCell(columns.indexOf(column) + 1);
    source.forEach((row, i) => {
      expect(cell(i, "id").value).toBe(row.id);
      // XML turns every line end into LF, and an XLSX cell is XML: CR LF reads back as LF (README, Formats).
      expect(cell(i, "label").value).toBe(row.label.replace(/\r\n?/g, "\n"));
      expect(cell(i, "ratio").value).toBe(row.ratio);
      expect(cell(i, "flag").value).toBe(flag(row.flag));
      expect(cell(i, "created_at").value).toEqual(new Date(row.created_at.iso.slice(0, 23) + "Z"));
      expect(cell(i, "created_at").numFmt).toBe("yyyy-mm-dd hh:mm:ss.000");
      expect(cell(i, "local_at").value).toEqual(new Date(row.local_at.iso.slice(0, 23) + "Z"));
      expect(cell(i, "day").value).toEqual(new Date(row.day + "T00:00:00Z"));
      expect(cell(i, "day").numFmt).toBe("yyyy-mm-dd");
      expect(cell(i, "doc").value).toBe(row.doc);
      if (hasArrays) expect(JSON.parse(cell(i, "tags").value as string)).toEqual(row.tags);
      // Empty bytes are an empty string, which a reader gives back as an empty cell.
      expect(cell(i, "payload").value).toBe(row.payload.length ? row.payload.toString("base64") : null);
    });
    // 30 and 19 significant digits: text, every digit kept. -12.5 fits Excel's 15: a number.
    expect(cell(0, "amount").value).toBe(source[0]!.amount);
    expect(cell(0, "big").value).toBe(source[0]!.big);
    expect(cell(1, "amount").value).toBe(-12.5);
    expect(cell(1, "big").value).toBe(source[1]!.big);

    sparse.forEach(({ label }, i) => {
      const labelCell = cell(source.length + i, "label");
      if (label === null) expect(labelCell.type).toBe(ExcelJS.ValueType.Null);
      else {
        expect(labelCell.type).toBe(ExcelJS.ValueType.String);
        expect(labelCell.value).toBe(label);
        expect(labelCell.formula).toBeUndefined();
      }
      expect(cell(source.length + i, "amount").type).toBe(ExcelJS.ValueType.Null);
    });
    expect(summary).toEqual({ rows: 8, bytes: file.length, truncated: false });
  });

  it.each([jsonlFormat, parquetFormat, xlsxFormat])("$id: cuts at the row limit with truncated, and reports progress", async (format) => {
    const { summary, progress } = await read(adapter(), format, { maxRows: 3 });
    expect(summary).toMatchObject({ rows: 3, truncated: true });
    expect(progress.at(-1)).toEqual({ rows: 3, bytes: summary.bytes });
  });

  it.each([jsonlFormat, parquetFormat, xlsxFormat])("$id: stops with FILE_TOO_LARGE past the size cap", async (format) => {
    const error = await read(adapter(), format, { maxBytes: 64 }).then(
      () => null,
      (e: unknown) => e,
    );
    expect(isAppError(error) && error.code).toBe("FILE_TOO_LARGE");
  });
});

describe("values a format cannot store", () => {
  it("Parquet refuses a timestamp of infinity, naming the row and the column", async () => {
    const rows = await pgAdapter.query({ ...query, sql: "SELECT v AS moment FROM (VALUES (now()), ('infinity'::timestamptz)) t(v)" });
    const file = parquetFormat.encode(rows, { maxRows: 10, maxBytes: 1 << 20, onProgress: () => undefined });
    const error = await (async () => {
      for await (const _ of file.body) void _;
    })().then(() => null, (e: unknown) => e);
    expect(isAppError(error) && error.code).toBe("UNPROCESSABLE");
    expect((error as Error).message).toBe('Row 2, column "moment": "infinity" is not a timestamp the format can store, which Parquet cannot store.');
  });

  it("XLSX refuses a row limit above a sheet's rows before reading any", () => {
    const rows = { columns: [], batches: (async function* () {})() };
    expect(() => xlsxFormat.encode(rows, { maxRows: 2_000_000, maxBytes: 1 << 20, onProgress: () => undefined })).toThrow(/at most 1,048,575 rows a sheet/);
  });
});
