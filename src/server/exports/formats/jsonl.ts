/**
 * JSON Lines: one JSON object a row, keys in the column order, LF after each. bigint and
 * numeric are strings, so that no digit is lost to a reader's doubles; timestamps are ISO
 * 8601 with microseconds; json and array columns are nested JSON, not strings.
 */
import { type CellType, cellTypeOf, type Column } from "~/server/columns";

import {
  base64,
  compactJson,
  dateText,
  isoMicros,
  jsonSource,
  numberText,
  plainText,
  toBoolean,
  toDouble,
} from "./cell-values";
import type { ExportFormat } from "./export-format";
import { eachCell, encodeTypedRows, type RowEncoder, uniqueNames } from "./typed-rows";

/**
 * Characters gathered before they become a chunk. Memory does not depend on it (4, 16 and
 * 64 KiB promote the same 44 MB a million rows to V8's old generation; see README, "Formats:
 * memory"); it only has to be large enough that a chunk is not a Buffer a row.
 */
const CHUNK_SIZE = 16 * 1024;

/** A JSON number, or its name as a string where JSON has none (NaN, Infinity). */
function jsonNumber(n: number): string {
  return Number.isFinite(n) ? String(n) : JSON.stringify(String(n));
}

/** How one cell type becomes JSON text; null is `null` whatever the type. */
function jsonOf(cell: CellType): (value: unknown) => string {
  switch (cell.kind) {
    case "int32":
    case "double":
      return (value) => jsonNumber(toDouble(value));
    case "int64":
    case "decimal":
      return (value) => JSON.stringify(numberText(value));
    case "boolean":
      return (value) => (toBoolean(value) ? "true" : "false");
    case "date":
      return (value) => JSON.stringify(dateText(value));
    case "timestamp":
      return (value) => JSON.stringify(isoMicros(value, cell.utc));
    case "json":
    case "array":
      return (value) => compactJson(jsonSource(value));
    case "binary":
      return (value) => JSON.stringify(base64(value));
    default:
      return (value) => JSON.stringify(plainText(value));
  }
}

function jsonLinesEncoder(columns: readonly Column[]): RowEncoder {
  const keys = uniqueNames(columns).map((name) => JSON.stringify(name) + ":");
  const encoders = columns.map((c) => jsonOf(cellTypeOf(c)));
  const width = columns.length;
  // Made once, not a closure a row.
  const field = (value: unknown, i: number) => keys[i] + (value === null || value === undefined ? "null" : encoders[i]!(value));
  let out = "";
  const chunks: Buffer[] = [];
  return {
    row(values) {
      const fields = eachCell(values, width, field);
      out += "{" + fields.join(",") + "}\n";
      if (out.length >= CHUNK_SIZE) {
        chunks.push(Buffer.from(out, "utf8"));
        out = "";
      }
    },
    take: () => chunks.splice(0),
    async end() {
      if (out.length > 0) chunks.push(Buffer.from(out, "utf8"));
      out = "";
      return chunks.splice(0);
    },
  };
}

export const jsonlFormat: ExportFormat = {
  id: "jsonl",
  label: "JSON Lines",
  hint: "One JSON object a line, keys in column order: for scripts and data tools.",
  compressions: ["gzip"],
  extension: "jsonl",
  contentType: "application/jsonl; charset=utf-8",
  databaseEncoding: null,
  encode: (rows, options) => encodeTypedRows(rows, options, "JSON Lines", jsonLinesEncoder),
};
