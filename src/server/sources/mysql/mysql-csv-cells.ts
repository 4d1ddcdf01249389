/**
 * The MySQL export's fast path, per column: a cell as the raw text the server sent (mysql2
 * with `typeCast: false`) written as the CSV field that the row path makes of mysql2's typed
 * value (mysql-types.ts, then csvField). Only types whose text maps to that field byte for
 * byte, or by a cheap rule, are listed; any other column (GEOMETRY, VECTOR, text in a
 * character set other than UTF-8) sends the whole result to the row path.
 *
 *   integers          the digits, unless zero-filled ("007", which the driver reads as 7)
 *   BIGINT, DECIMAL   the digits (the driver keeps them as strings)
 *   FLOAT, DOUBLE     the Number the driver parses, printed by JavaScript
 *   DATETIME, TIMESTAMP  ISO 8601 (mysql-types.ts), "Z" for TIMESTAMP
 *   DATE, TIME, JSON, text  UTF-8 text under the CSV's quoting and formula rules
 *   binary, BIT       base64
 */
import type { FieldPacket } from "mysql2";

import { isNumericColumnType, typedColumn } from "~/server/columns";
import { type CsvRecordChunks } from "~/server/csv";

import type { CsvRules } from "../source-adapter";
import { BINARY_CHARSET, mysqlCellType, mysqlFieldType as type, stringTypes } from "./mysql-types";

export type CellWriter = (chunks: CsvRecordChunks, cell: Buffer | null) => void;

const ZERO = 48;
const MINUS = 45;
const PLUS = 43;
const DOT = 46;
const LOWER_E = 101;
const UPPER_E = 69;

/**
 * A FLOAT or DOUBLE's text as the Number mysql2 makes of it (Packet.parseFloat in mysql2 3.x):
 * digits accumulated and divided by a power of ten, or parseFloat for long or exponent forms.
 * The CSV prints that Number, so this must reach the same one, digit for digit.
 */
function driverFloat(cell: Buffer): number {
  const length = cell.length;
  if (length === 0) return 0;
  if (length > 17) return Number.parseFloat(cell.toString("utf8"));
  let at = 0;
  let factor = 1;
  if (cell[at] === MINUS) {
    at++;
    factor = -1;
  }
  if (cell[at] === PLUS) at++;
  let result = 0;
  let pastDot = false;
  for (; at < length; at++) {
    const c = cell[at]!;
    if (c === DOT) pastDot = true;
    else if (c === LOWER_E || c === UPPER_E) return Number.parseFloat(cell.toString("utf8"));
    else {
      result = result * 10 + (c - ZERO);
      if (pastDot) factor *= 10;
    }
  }
  return result / factor;
}

const nullable =
  (write: CellWriter): CellWriter =>
  (chunks, cell) =>
    cell === null ? chunks.empty() : write(chunks, cell);

/** One writer per column, or null when a column has no byte form here. */
export function mysqlCellWriters(fields: FieldPacket[], rules: CsvRules): CellWriter[] | null {
  const writers: CellWriter[] = [];
  for (const field of fields) {
    const writer = cellWriter(field, rules.neutralizeFormulas && !isNumericColumnType(typedColumn(field.name, mysqlCellType(field)).type));
    if (!writer) return null;
    writers.push(nullable(writer));
  }
  return writers;
}

function cellWriter(field: FieldPacket, neutralize: boolean): CellWriter | null {
  const columnType = field.columnType ?? field.type;
  const binary = field.characterSet === BINARY_CHARSET;
  // MariaDB's JSON is LONGTEXT with JSON in its extended metadata; the driver reads it as text.
  if (field.extendedFormat === "json") return utf8(field) ? (chunks, cell) => chunks.text(cell!, neutralize) : null;
  switch (columnType) {
    case type.TINY:
    case type.SHORT:
    case type.LONG:
    case type.INT24:
    case type.YEAR:
      return (chunks, cell) => (cell!.length > 1 && cell![0] === ZERO ? chunks.ascii(String(Number(cell!.toString("latin1")))) : chunks.plain(cell!));
    case type.LONGLONG:
    case type.DECIMAL:
    case type.NEWDECIMAL:
      return (chunks, cell) => chunks.plain(cell!);
    case type.FLOAT:
    case type.DOUBLE:
      return (chunks, cell) => chunks.ascii(String(driverFloat(cell!)));
    case type.DATETIME:
      return (chunks, cell) => chunks.isoDateTime(cell!, "", neutralize);
    case type.TIMESTAMP:
      return (chunks, cell) => chunks.isoDateTime(cell!, "Z", neutralize);
    case type.DATE:
    case type.TIME:
    case type.JSON:
      return (chunks, cell) => chunks.text(cell!, neutralize);
    case type.BIT:
      return binary ? (chunks, cell) => chunks.ascii(cell!.toString("base64")) : null;
    default:
      if (columnType === undefined || !stringTypes.has(columnType)) return null;
      if (binary) return (chunks, cell) => chunks.ascii(cell!.toString("base64"));
      return utf8(field) ? (chunks, cell) => chunks.text(cell!, neutralize) : null;
  }
}

/** Text the driver decodes as UTF-8 (utf8mb4 and utf8mb3), which the bytes already are. */
function utf8(field: FieldPacket): boolean {
  return (field as FieldPacket & { encoding?: string }).encoding === "utf8";
}
