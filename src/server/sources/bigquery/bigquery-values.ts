/**
 * How BigQuery's REST rows reach the CSV writer. Rows are read unparsed (`skipParsing`):
 * every value is the API's string, so INT64, NUMERIC and BIGNUMERIC keep their digits.
 * TIMESTAMP arrives as microseconds since the epoch and becomes ISO 8601 in UTC with all
 * six fraction digits. RECORD and REPEATED values become JSON text with exact numbers.
 */
import { type CellType } from "~/server/columns";

import { JsonNumber, RawJson, toJsonText } from "../json-text";

export interface BigQueryField {
  name?: string | null;
  type?: string | null;
  mode?: string | null;
  fields?: BigQueryField[] | null;
  /** A parameterised NUMERIC's, as decimal strings. */
  precision?: string | null;
  scale?: string | null;
}

interface Cell {
  v?: unknown;
}

const MICROS_PER_SECOND = 1_000_000n;

function isoFromTimestamp(value: string): string {
  if (!/^-?\d+$/.test(value)) {
    // Seconds with a fraction, the API's format without useInt64Timestamp.
    return new Date(Number(value) * 1000).toISOString();
  }
  const micros = BigInt(value);
  let seconds = micros / MICROS_PER_SECOND;
  let fraction = micros % MICROS_PER_SECOND;
  if (fraction < 0n) {
    fraction += MICROS_PER_SECOND;
    seconds -= 1n;
  }
  const iso = new Date(Number(seconds) * 1000).toISOString();
  return iso.slice(0, -5) + "." + fraction.toString().padStart(6, "0") + "Z";
}

const numericTypes = new Set(["INTEGER", "INT64", "FLOAT", "FLOAT64", "NUMERIC", "BIGNUMERIC", "BIGDECIMAL", "DECIMAL"]);

/** A value inside a RECORD or REPEATED value, as something toJsonText writes exactly. */
function nestedReader(field: BigQueryField, ignoreMode = false): (value: unknown) => unknown {
  if (field.mode === "REPEATED" && !ignoreMode) {
    const item = nestedReader(field, true);
    return (value) => (Array.isArray(value) ? (value as Cell[]).map((cell) => item(cell.v)) : null);
  }
  const type = (field.type ?? "").toUpperCase();
  if (type === "RECORD" || type === "STRUCT") {
    const members = (field.fields ?? []).map((f) => ({ name: f.name ?? "", read: nestedReader(f) }));
    return (value) => {
      const cells = (value as { f?: Cell[] } | null)?.f;
      if (!cells) return null;
      return Object.fromEntries(members.map((m, i) => [m.name, m.read(cells[i]?.v)]));
    };
  }
  return (value) => {
    if (value === null || value === undefined) return null;
    const text = String(value);
    if (numericTypes.has(type)) return new JsonNumber(text);
    if (type === "BOOLEAN" || type === "BOOL") return text === "true";
    if (type === "TIMESTAMP") return isoFromTimestamp(text);
    if (type === "JSON") return new RawJson(text);
    return text;
  };
}

export interface BigQueryColumnPlan {
  cell: CellType;
  read: (value: unknown) => unknown;
}

const identity = (value: unknown) => value;

/**
 * NUMERIC is decimal(38,9) and BIGNUMERIC decimal(76,38) unless the schema declares a
 * parameterised type such as NUMERIC(10,2).
 */
function decimalCell(field: BigQueryField, precision: number, scale: number): CellType {
  const declared = Number(field.precision);
  return declared > 0 ? { kind: "decimal", precision: declared, scale: Number(field.scale ?? 0) } : { kind: "decimal", precision, scale };
}

export function planBigQueryColumn(field: BigQueryField): BigQueryColumnPlan {
  const type = (field.type ?? "").toUpperCase();
  if (field.mode === "REPEATED" || type === "RECORD" || type === "STRUCT") {
    const read = nestedReader(field);
    return { cell: { kind: field.mode === "REPEATED" ? "array" : "json" }, read: (value) => (value === null || value === undefined ? null : toJsonText(read(value))) };
  }
  switch (type) {
    case "INTEGER":
    case "INT64":
      return { cell: { kind: "int64" }, read: identity };
    case "FLOAT":
    case "FLOAT64":
      return { cell: { kind: "double" }, read: identity };
    case "NUMERIC":
    case "DECIMAL":
      return { cell: decimalCell(field, 38, 9), read: identity };
    case "BIGNUMERIC":
    case "BIGDECIMAL":
      return { cell: decimalCell(field, 76, 38), read: identity };
    case "BOOLEAN":
    case "BOOL":
      return { cell: { kind: "boolean" }, read: (value) => (value === null || value === undefined ? null : value === "true") };
    case "TIMESTAMP":
      return { cell: { kind: "timestamp", utc: true }, read: (value) => (typeof value === "string" ? isoFromTimestamp(value) : value) };
    case "DATE":
      return { cell: { kind: "date" }, read: identity };
    case "DATETIME":
      return { cell: { kind: "timestamp", utc: false }, read: identity };
    case "BYTES":
      return { cell: { kind: "binary" }, read: (value) => (typeof value === "string" ? Buffer.from(value, "base64") : value) };
    case "JSON":
      return { cell: { kind: "json" }, read: identity };
    case "STRING":
    case "TIME":
    case "GEOGRAPHY":
    case "INTERVAL":
      return { cell: { kind: "text" }, read: identity };
    default:
      return { cell: { kind: "unknown" }, read: identity };
  }
}
