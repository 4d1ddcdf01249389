/**
 * Metric exports end to end, on real services: the local PostgreSQL and MariaDB as data
 * sources, s3rver as storage, Redis as the job store, and the local Inngest executor running
 * the real `export-metric-data` function through the SDK's serve handler.
 */
import { ListObjectsV2Command } from "@aws-sdk/client-s3";
import { parse } from "csv-parse/sync";
import mysql from "mysql2/promise";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

import { type ExportHarness, startExportHarness } from "./support/export-harness";
import { TEST_MYSQL_ADMIN_URL, TEST_SOURCE_DATABASE_URL as PG_URL, withDatabase } from "./support/test-env";

const MYSQL_ADMIN = TEST_MYSQL_ADMIN_URL;
// A name of this run's own: another checkout's suite may drop its database at any time.
const MYSQL_DB = `export_center_metric_${process.pid}_${Date.now()}`;
const TABLE = `awkward_${Date.now()}`;

/** Values chosen to break naive CSV: quotes, commas, line breaks, emoji, NULL, JSON, precision, formulas. */
const awkward = [
  { id: 1, label: 'say "hi", then leave', note: "line one\r\nline two", amount: "12345678901234567890.1234567890", big: "9007199254740993", data: { a: [1, 2], b: "ü" }, at: "2024-03-01T12:34:56.789Z", flag: true },
  { id: 2, label: "=SUM(A1:A2)", note: null, amount: "-42.5000000000", big: "-1", data: null, at: "1999-12-31T23:59:59.000Z", flag: false },
  { id: 3, label: "+cmd|' /C calc'!A0", note: "emoji 🎉 and ünïcödé", amount: "0.0000000001", big: "0", data: [], at: null, flag: null },
  { id: 4, label: "-10", note: "@mention", amount: null, big: null, data: { nested: { deep: "x,y" } }, at: "2024-01-01T00:00:00.000Z", flag: true },
  { id: 5, label: "", note: "\ttabbed", amount: "1", big: "123", data: "plain string", at: "2024-06-30T10:00:00.000Z", flag: false },
];

let harness: ExportHarness;
let app: typeof import("./support/export-app");

async function createPgTable() {
  const client = new pg.Client({ connectionString: PG_URL });
  await client.connect();
  await client.query(
    `CREATE TABLE ${TABLE} (id int primary key, label text, note text, amount numeric(40,10), big bigint, data jsonb, at timestamptz, flag boolean)`,
  );
  for (const r of awkward) {
    await client.query(`INSERT INTO ${TABLE} VALUES ($1,$2,$3,$4,$5,$6,$7,$8)`, [r.id, r.label, r.note, r.amount, r.big, r.data === null ? null : JSON.stringify(r.data), r.at, r.flag]);
  }
  await client.end();
}

async function createMysqlTable() {
  const admin = await mysql.createConnection(MYSQL_ADMIN);
  await admin.query(`CREATE DATABASE IF NOT EXISTS ${MYSQL_DB}`);
  await admin.query(`USE ${MYSQL_DB}`);
  await admin.query(
    `CREATE TABLE IF NOT EXISTS ${TABLE} (id int primary key, label text, note text, amount decimal(40,10), big bigint, data json, at datetime(3), flag boolean)`,
  );
  for (const r of awkward) {
    await admin.query(`INSERT INTO ${TABLE} VALUES (?,?,?,?,?,?,?,?)`, [r.id, r.label, r.note, r.amount, r.big, r.data === null ? null : JSON.stringify(r.data), r.at ? r.at.replace("T", " ").replace("Z", "") : null, r.flag]);
  }
  await admin.end();
}

/**
 * Cells compared by meaning where the database has its own spelling: JSON as parsed values,
 * timestamps as instants, decimals as exact digits without trailing zeros (never via Number).
 */
const exactDecimal = (s: string) => (s.includes(".") ? s.replace(/0+$/, "").replace(/\.$/, "") : s);
function comparable(row: string[]) {
  return row.map((cell, i) => {
    if (cell === "") return cell;
    if (i === 3) return exactDecimal(cell);
    if (i === 5) return JSON.parse(cell) as unknown;
    if (i === 6) return new Date(cell.endsWith("Z") ? cell : `${cell}Z`).toISOString();
    return cell;
  });
}

/** What a spreadsheet user should see in each cell. */
function expectedCells(r: (typeof awkward)[number]) {
  const neutral = (s: string | null) => (s === null ? "" : /^[=+\-@\t\r]/.test(s) ? `'${s}` : s);
  return [
    String(r.id),
    neutral(r.label),
    neutral(r.note),
    r.amount ?? "",
    r.big ?? "",
    r.data === null ? "" : JSON.stringify(r.data),
    r.at ?? "",
    r.flag === null ? "" : String(r.flag),
  ];
}

beforeAll(async () => {
  harness = await startExportHarness({
    env: { EXPORT_FILE_TTL_SECONDS: "4", EXPORT_LINK_TTL_SECONDS: "2", EXPORT_MAX_ROWS: "1000", EXPORT_MAX_BYTES: String(2 * 1024 * 1024) },
  });
  app = await import("./support/export-app");
  await createPgTable();
  await createMysqlTable();
}, 120_000);

afterAll(async () => {
  const client = new pg.Client({ connectionString: PG_URL });
  await client.connect();
  await client.query(`DROP TABLE IF EXISTS ${TABLE}`);
  await client.end();
  const admin = await mysql.createConnection(MYSQL_ADMIN);
  await admin.query(`DROP DATABASE IF EXISTS ${MYSQL_DB}`);
  await admin.end();
  await harness?.close();
});

async function objectsInBucket(): Promise<string[]> {
  const { getStorage } = await import("~/server/services");
  const listed = await getStorage().client.send(new ListObjectsV2Command({ Bucket: harness.bucket }));
  return (listed.Contents ?? []).map((o) => o.Key!);
}

describe("export-metric-data", () => {
  it("exports awkward PostgreSQL values that round-trip cell for cell, then expires the link and deletes the file", async () => {
    const team = await app.teamWithSource("POSTGRES", { url: PG_URL });
    const metric = await team.metric(`SELECT * FROM ${TABLE} ORDER BY id`);
    const job = await team.exportAndWait(metric.id);
    expect(job).toMatchObject({ status: "COMPLETED", file: { rowCount: awkward.length, truncated: false } });

    const link = await team.trpc.exports.downloadUrl({ teamId: team.id, exportId: job.id });
    const response = await fetch(link.url);
    expect(response.status).toBe(200);
    const rows = parse(await response.text(), { bom: true }) as string[][];
    expect(rows[0]).toEqual(["id", "label", "note", "amount", "big", "data", "at", "flag"]);
    expect(rows.slice(1).map(comparable)).toEqual(awkward.map((r) => comparable(expectedCells(r))));
    // Precision survives: no float rounding of the 30-digit decimal or the 2^53+1 bigint.
    expect(rows[1]?.[3]).toBe("12345678901234567890.1234567890");
    expect(rows[1]?.[4]).toBe("9007199254740993");

    await new Promise((r) => setTimeout(r, 2500));
    expect((await fetch(link.url)).status).toBe(403);

    // The file is deleted after its 4-second lifetime, and the job says so.
    const key = job.file!.key;
    await app.waitFor(async () => !(await objectsInBucket()).includes(key), 15_000);
    await app.waitFor(async () => (await team.trpc.exports.get({ teamId: team.id, exportId: job.id })).file?.deletedAt !== undefined, 5_000);
  });

  it("exports the same awkward values from MariaDB", async () => {
    const team = await app.teamWithSource("MYSQL", { url: withDatabase(TEST_MYSQL_ADMIN_URL, MYSQL_DB) });
    const metric = await team.metric(`SELECT * FROM ${TABLE} ORDER BY id`);
    const job = await team.exportAndWait(metric.id);
    expect(job.status).toBe("COMPLETED");
    const link = await team.trpc.exports.downloadUrl({ teamId: team.id, exportId: job.id });
    const rows = parse(await (await fetch(link.url)).text(), { bom: true }) as string[][];
    const withoutFlag = (row: string[]) => comparable(row).filter((_, i) => i !== 7);
    expect(rows.slice(1).map(withoutFlag)).toEqual(awkward.map((r) => withoutFlag(expectedCells(r))));
    // MariaDB has no boolean type: BOOLEAN is TINYINT(1), so true and false arrive as 1 and 0.
    expect(rows.slice(1).map((r) => r[7])).toEqual(awkward.map((r) => (r.flag === null ? "" : r.flag ? "1" : "0")));
  });

  it("cuts at the row cap and says so, with exactly the capped number of rows", async () => {
    const team = await app.teamWithSource("POSTGRES", { url: PG_URL });
    const metric = await team.metric("SELECT g AS n FROM generate_series(1, 5000) g");
    const job = await team.exportAndWait(metric.id);
    expect(job).toMatchObject({ status: "COMPLETED", file: { rowCount: 1000, truncated: true } });
    const link = await team.trpc.exports.downloadUrl({ teamId: team.id, exportId: job.id });
    const rows = parse(await (await fetch(link.url)).text()) as string[][];
    expect(rows).toHaveLength(1001);
    expect(rows.at(-1)).toEqual(["1000"]);
  });

  it("fails cleanly past the size cap, leaving no file behind", async () => {
    const team = await app.teamWithSource("POSTGRES", { url: PG_URL });
    const metric = await team.metric("SELECT repeat('x', 5000) AS padding FROM generate_series(1, 900)");
    const job = await team.exportAndWait(metric.id);
    expect(job).toMatchObject({ status: "FAILED", errorCode: "FILE_TOO_LARGE" });
    expect(job.error).toMatch(/larger than the 2 MB limit/);
    expect((await objectsInBucket()).filter((k) => k.startsWith(`exports/${team.id}/`))).toEqual([]);
  });

  it("reports bad SQL as FAILED with the database's own message, without retrying it", async () => {
    const team = await app.teamWithSource("POSTGRES", { url: PG_URL });
    const metric = await team.metric("SELECT * FROM no_such_table_anywhere");
    const job = await team.exportAndWait(metric.id);
    expect(job).toMatchObject({ status: "FAILED", errorCode: "QUERY_FAILED" });
    expect(job.error).toContain('relation "no_such_table_anywhere" does not exist');
    // The job is settled inside the run, a moment before the executor records the run's end.
    const run = () => harness.executor.runs().find((r) => r.event.data.exportId === job.id && r.functionId.endsWith("export-metric-data"));
    await app.waitFor(async () => run()?.endedAt !== undefined, 15_000);
    expect(run()?.status).toBe("Failed");
    expect(run()?.history.filter((h) => h.status === "retry")).toEqual([]);
  });

  it("refuses writes: the metric runs in a read-only transaction", async () => {
    const team = await app.teamWithSource("POSTGRES", { url: PG_URL });
    const metric = await team.metric(`DELETE FROM ${TABLE} RETURNING *`);
    const job = await team.exportAndWait(metric.id);
    expect(job).toMatchObject({ status: "FAILED", errorCode: "QUERY_FAILED" });
    expect(job.error).toMatch(/read-only transaction/);
  });

  it("cancels a slow export: CANCELLED, the query stopped, and nothing in storage", async () => {
    const team = await app.teamWithSource("POSTGRES", { url: PG_URL });
    const marker = `cancel_probe_${Date.now()}`;
    const metric = await team.metric(`SELECT pg_sleep(30), '${marker}' AS done`);
    const { exportId } = await team.trpc.metrics.export({ teamId: team.id, metricId: metric.id });
    await app.waitFor(async () => (await team.trpc.exports.get({ teamId: team.id, exportId })).status === "PROCESSING", 15_000);
    const cancelled = await team.trpc.exports.cancel({ teamId: team.id, exportId });
    expect(cancelled.status).toBe("CANCELLED");
    // The query is stopped well before its 30 s sleep would end.
    await app.waitFor(async () => !(await app.activeQueries(marker)), 10_000);
    expect((await objectsInBucket()).filter((k) => k.startsWith(`exports/${team.id}/`))).toEqual([]);
    const again = await team.trpc.exports.cancel({ teamId: team.id, exportId }).catch((e: { code?: string }) => e);
    expect((again as { code?: string }).code).toBe("CONFLICT");
  });
});
