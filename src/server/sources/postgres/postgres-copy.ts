/**
 * The SQL of PostgreSQL's fast path: `COPY (…) TO STDOUT WITH (FORMAT csv)` around the
 * metric's own SQL, so the server writes the CSV records itself. Reading a million rows into
 * JavaScript and encoding them there costs about three times what the server takes to write
 * the same CSV, so large exports go this way.
 *
 * The SELECT around the metric applies, in SQL, the rules that CsvWriter applies to rows
 * (see postgres-types for the row path): timestamps in ISO 8601 with "T" (and "Z" in UTC),
 * booleans as true/false, bytea as base64, arrays as JSON text, and a leading `'` on text
 * that starts like a formula. Numbers keep the server's exact digits. Two differences remain,
 * both still RFC 4180 and read back identically: an empty string is written as `""`, and
 * text with leading or trailing spaces is not quoted. Array elements follow `to_json`
 * (a timestamptz element ends in "+00:00" rather than "Z").
 *
 * The metric's SQL sits between `(\n` and `\n)` in both statements built here, and the text
 * after it holds no quote, `$` or comment marker, so the SQL lexes the same in both: the
 * describe statement, which runs through the extended protocol and so refuses a second
 * statement, vouches for the COPY, which CopyOutRecords sends through the simple protocol.
 */
import { isArrayType, oid } from "./postgres-types";

export interface CopyColumn {
  name: string;
  dataTypeID: number;
}

/** Trailing semicolons are common at the end of a saved query and would break the wrapping. */
function innerSql(sql: string): string {
  return sql.replace(/[\s;]+$/, "");
}

/** Plans the metric's SQL without running it, to learn its columns and their types. */
export function describeSql(sql: string): string {
  return `SELECT * FROM (\n${innerSql(sql)}\n) AS export_source LIMIT 0`;
}

// '=', '+', '-', '@', TAB and CR, as ascii() codes: cheaper per row than comparing text.
const FORMULA_START_CODES = "61, 43, 45, 64, 9, 13";

function neutralized(text: string): string {
  return `CASE WHEN ascii(${text}) IN (${FORMULA_START_CODES}) THEN '''' || ${text} ELSE ${text} END`;
}

const NUMERIC = new Set<number>([oid.int2, oid.int4, oid.int8, oid.oid, oid.float4, oid.float8, oid.numeric]);

/** One column's CSV text, by type; `column` is a plain identifier. */
function csvExpression(column: string, typeId: number, neutralize: boolean): string {
  const maybeNeutralized = (text: string) => (neutralize ? neutralized(text) : text);
  if (NUMERIC.has(typeId)) return column;
  switch (typeId) {
    case oid.bool:
      return `${column}::text`;
    case oid.bytea:
      // encode() breaks base64 into 76-character lines.
      return `translate(encode(${column}, 'base64'), E'\\n', '')`;
    case oid.date:
      return `${column}::text`;
    // infinity and BC timestamps have no ISO 8601 form: they pass as PostgreSQL writes them.
    case oid.timestamptz:
      return `CASE WHEN isfinite(${column}) AND ${column} >= timestamptz '0001-01-01 00:00:00+00' THEN replace((${column} AT TIME ZONE 'UTC')::text, ' ', 'T') || 'Z' ELSE ${column}::text END`;
    case oid.timestamp:
      return `CASE WHEN isfinite(${column}) AND ${column} >= timestamp '0001-01-01' THEN replace(${column}::text, ' ', 'T') ELSE ${column}::text END`;
    case oid.jsonb:
      // Only a bare negative number starts like a formula, and only jsonb_typeof is cheap to ask.
      return neutralize
        ? `CASE WHEN jsonb_typeof(${column}) = 'number' AND ascii(${column}::text) = 45 THEN '''' || ${column}::text ELSE ${column}::text END`
        : `${column}::text`;
    case oid.text:
    case oid.varchar:
      return maybeNeutralized(column);
  }
  if (isArrayType(typeId)) return `to_json(${column})::text`;
  // format() writes a value with its type's output function, as the row path receives it;
  // a cast to text would not always (char(n) loses its padding, inet gains a netmask).
  return maybeNeutralized(`format('%s', ${column})`);
}

/**
 * The COPY of the metric's result as CSV records (no header, LF row ends), at most
 * `maxRows + 1` of them so that a cut result is detected without reading on.
 */
export function copySql(sql: string, columns: readonly CopyColumn[], options: { maxRows: number; neutralizeFormulas: boolean }): string {
  const names = columns.map((_, i) => `c${i + 1}`);
  const expressions = columns.map((c, i) => csvExpression(names[i]!, c.dataTypeID, options.neutralizeFormulas));
  const limit = Math.max(0, Math.floor(options.maxRows)) + 1;
  return (
    `COPY (SELECT ${expressions.join(", ")} FROM (\n${innerSql(sql)}\n) AS export_source (${names.join(", ")}) LIMIT ${limit}) ` +
    `TO STDOUT WITH (FORMAT csv)`
  );
}
