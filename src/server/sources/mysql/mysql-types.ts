/**
 * How MySQL/MariaDB values reach the CSV writer. The connection asks mysql2 for exact
 * strings where JavaScript would lose something (BIGINT and DECIMAL digits, JSON text,
 * dates with their microseconds), and the session runs with time_zone '+00:00', so a
 * TIMESTAMP is printed in UTC and only needs the ISO "T" and "Z" here. DATETIME has no zone,
 * so it gets no "Z".
 */
import { type FieldPacket } from "mysql2";

import { type CellType } from "~/server/columns";

export const mysqlFieldType = {
  DECIMAL: 0x00,
  TINY: 0x01,
  SHORT: 0x02,
  LONG: 0x03,
  FLOAT: 0x04,
  DOUBLE: 0x05,
  TIMESTAMP: 0x07,
  LONGLONG: 0x08,
  INT24: 0x09,
  DATE: 0x0a,
  TIME: 0x0b,
  DATETIME: 0x0c,
  YEAR: 0x0d,
  NEWDATE: 0x0e,
  BIT: 0x10,
  JSON: 0xf5,
  NEWDECIMAL: 0xf6,
  TINY_BLOB: 0xf9,
  MEDIUM_BLOB: 0xfa,
  LONG_BLOB: 0xfb,
  BLOB: 0xfc,
  VAR_STRING: 0xfd,
  STRING: 0xfe,
} as const;
const type = mysqlFieldType;

/** The character set number MySQL gives binary strings (BLOB, BINARY, VARBINARY). */
export const BINARY_CHARSET = 63;

export const stringTypes = new Set<number>([
  type.TINY_BLOB,
  type.MEDIUM_BLOB,
  type.LONG_BLOB,
  type.BLOB,
  type.VAR_STRING,
  type.STRING,
]);

const UNSIGNED_FLAG = 0x20;

/** DECIMAL(p,s): mysql2 reports the display length, which adds a sign and a point to the digits. */
function decimalCell(field: FieldPacket, unsigned: boolean): CellType {
  const scale = field.decimals;
  const precision = (field.columnLength ?? 0) - (scale > 0 ? 1 : 0) - (unsigned ? 0 : 1);
  return precision > 0 ? { kind: "decimal", precision, scale } : { kind: "decimal" };
}

export function mysqlCellType(field: FieldPacket): CellType {
  const columnType = field.columnType ?? field.type;
  // mysql2 gives the flags as a number unless asked for their names.
  const unsigned = typeof field.flags === "number" && (field.flags & UNSIGNED_FLAG) !== 0;
  switch (columnType) {
    case type.TINY:
    case type.SHORT:
    case type.INT24:
    case type.YEAR:
      return { kind: "int32" };
    case type.LONG:
      return { kind: unsigned ? "int64" : "int32" };
    // An unsigned BIGINT reaches 2^64 - 1, beyond int64.
    case type.LONGLONG:
      return unsigned ? { kind: "decimal", precision: 20, scale: 0 } : { kind: "int64" };
    case type.FLOAT:
    case type.DOUBLE:
      return { kind: "double" };
    case type.DECIMAL:
    case type.NEWDECIMAL:
      return decimalCell(field, unsigned);
    case type.DATE:
    case type.NEWDATE:
      return { kind: "date" };
    case type.DATETIME:
      return { kind: "timestamp", utc: false };
    case type.TIMESTAMP:
      return { kind: "timestamp", utc: true };
    case type.JSON:
      return { kind: "json" };
    case type.BIT:
      return { kind: "binary" };
    default:
      if (columnType !== undefined && stringTypes.has(columnType)) {
        if (field.characterSet === BINARY_CHARSET) return { kind: "binary" };
        // MariaDB's JSON is LONGTEXT, marked as JSON in its extended metadata.
        return { kind: field.extendedFormat === "json" ? "json" : "text" };
      }
      return { kind: "unknown" };
  }
}

/** "2024-01-02 03:04:05.123456" → "2024-01-02T03:04:05.123456" (+ "Z" for a UTC TIMESTAMP). */
function isoDateTime(zone: "" | "Z") {
  return (value: unknown) => {
    if (typeof value !== "string" || value.length < 19 || value.startsWith("0000-00-00")) return value;
    return value.slice(0, 10) + "T" + value.slice(11) + zone;
  };
}

const asUtcTimestamp = isoDateTime("Z");
const asLocalDateTime = isoDateTime("");

/** Per column, the conversion its values still need, or undefined for none. */
export function mysqlValueConverter(field: FieldPacket): ((value: unknown) => unknown) | undefined {
  const columnType = field.columnType ?? field.type;
  if (columnType === type.TIMESTAMP) return asUtcTimestamp;
  if (columnType === type.DATETIME) return asLocalDateTime;
  return undefined;
}
