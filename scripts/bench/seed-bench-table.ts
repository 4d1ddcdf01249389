/**
 * The benchmark's data: `bench_export_<rows>`, 10 mixed columns (integers, text with commas
 * and quotes, numeric, float, boolean, timestamptz, jsonb, nullable text), generated inside
 * PostgreSQL so seeding a million rows takes seconds. Idempotent per row count.
 */
import pg from "pg";

export const benchTable = (rows: number) => `bench_export_${rows}`;

export const benchSelect = (rows: number) =>
  `SELECT id, name, amount, ratio, active, created_at, payload, note, qty, code FROM ${benchTable(rows)} ORDER BY id`;

export async function seedBenchTable(databaseUrl: string, rows: number): Promise<void> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    const table = benchTable(rows);
    const { rows: existing } = await client.query<{ n: string }>(`SELECT to_regclass($1) IS NOT NULL AND (SELECT count(*) FROM ${table}) = $2 AS n`, [table, rows]).catch(() => ({ rows: [{ n: "false" }] }));
    if (String(existing[0]?.n) === "true") return;
    await client.query(`DROP TABLE IF EXISTS ${table}`);
    await client.query(`CREATE TABLE ${table} AS
      SELECT g AS id,
             'customer ' || g || ', "vip"' AS name,
             (g * 1.2345)::numeric(14,4) AS amount,
             g / 7.0::float8 AS ratio,
             g % 2 = 0 AS active,
             timestamptz '2024-01-01' + g * interval '1 second' AS created_at,
             jsonb_build_object('k', g, 'tags', jsonb_build_array('a', 'b')) AS payload,
             CASE WHEN g % 10 = 0 THEN NULL ELSE 'note ' || md5(g::text) END AS note,
             (g % 1000)::int AS qty,
             upper(substr(md5(g::text), 1, 8)) AS code
      FROM generate_series(1, ${rows}) g`);
    await client.query(`ALTER TABLE ${table} ADD PRIMARY KEY (id)`);
    await client.query(`ANALYZE ${table}`);
  } finally {
    await client.end();
  }
}
