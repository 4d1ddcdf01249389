/**
 * The MySQL benchmark's data: `bench_export_<rows>` in MariaDB/MySQL, the same 10 mixed columns
 * as the PostgreSQL table (seed-bench-table.ts) in MySQL's types: BIGINT, text with commas and
 * quotes, DECIMAL, DOUBLE, BOOLEAN, TIMESTAMP(6), JSON, nullable text, INT, CHAR. MariaDB's
 * SEQUENCE engine (`seq_1_to_<n>`) generates the rows inside the server; MySQL, which has no such
 * engine, gets them from a recursive CTE. The query is the PostgreSQL one (benchSelect).
 * Idempotent per row count.
 */
import mysql from "mysql2/promise";

import { benchTable } from "./seed-bench-table";

/** `mysql://user@host:port/database` → the database, created if missing. */
export async function seedMysqlBenchTable(url: string, rows: number): Promise<void> {
  const database = decodeURIComponent(new URL(url).pathname.slice(1));
  const admin = await mysql.createConnection({ uri: url.replace(/\/[^/?]*(\?|$)/, "/$1"), multipleStatements: false });
  try {
    await admin.query(`CREATE DATABASE IF NOT EXISTS \`${database}\``);
    await admin.query(`USE \`${database}\``);
    const table = benchTable(rows);
    const [existing] = await admin.query<mysql.RowDataPacket[]>(
      "SELECT table_rows AS n FROM information_schema.tables WHERE table_schema = ? AND table_name = ?",
      [database, table],
    );
    if (existing.length) {
      const [[count]] = await admin.query<mysql.RowDataPacket[]>(`SELECT count(*) AS n FROM ${table}`);
      if (Number(count?.n) === rows) return;
    }
    await admin.query(`DROP TABLE IF EXISTS ${table}`);
    await admin.query(`CREATE TABLE ${table} (
      id BIGINT PRIMARY KEY, name VARCHAR(64) NOT NULL, amount DECIMAL(14,4) NOT NULL, ratio DOUBLE NOT NULL,
      active BOOLEAN NOT NULL, created_at TIMESTAMP(6) NOT NULL, payload JSON NOT NULL, note TEXT NULL,
      qty INT NOT NULL, code CHAR(8) NOT NULL)`);
    const [version] = await admin.query<mysql.RowDataPacket[]>("SELECT VERSION() AS v");
    const numbers = /mariadb/i.test(String(version[0]?.v))
      ? `SELECT seq AS g FROM seq_1_to_${rows}`
      : `WITH RECURSIVE s(g) AS (SELECT 1 UNION ALL SELECT g + 1 FROM s WHERE g < ${rows}) SELECT g FROM s`;
    await admin.query("SET SESSION time_zone = '+00:00', SESSION cte_max_recursion_depth = 2000000").catch(() => admin.query("SET SESSION time_zone = '+00:00'"));
    await admin.query(`INSERT INTO ${table}
      SELECT g, CONCAT('customer ', g, ', "vip"'), g * 1.2345, g / 7.0e0, g % 2 = 0,
             TIMESTAMP('2024-01-01') + INTERVAL g SECOND, JSON_OBJECT('k', g, 'tags', JSON_ARRAY('a', 'b')),
             IF(g % 10 = 0, NULL, CONCAT('note ', MD5(g))), g % 1000, UPPER(SUBSTR(MD5(g), 1, 8))
      FROM (${numbers}) numbers`);
  } finally {
    await admin.end();
  }
}
