/**
 * How Postgres values reach the CSV writer. These parsers belong to the export's own
 * clients (pg's `types` option), so nothing here changes pg's global parsers for the rest
 * of the app.
 *
 * Most values stay the text Postgres sent: numbers keep their exact digits (int8 and numeric
 * would lose precision through Number, and converting the others would only be undone by
 * the writer), json and jsonb keep the server's JSON text. The session runs with
 * TimeZone=UTC and DateStyle=ISO (see postgres-adapter), so timestamps only need the ISO
 * "T" and "Z". A timestamp without time zone has no zone, so it gets no "Z".
 */
import pg from "pg";

import { type CellType } from "~/server/columns";

import { JsonNumber, RawJson, toJsonText } from "../json-text";

export const oid = {
  bool: 16,
  bytea: 17,
  int8: 20,
  int2: 21,
  int4: 23,
  text: 25,
  oid: 26,
  json: 114,
  float4: 700,
  float8: 701,
  bpchar: 1042,
  varchar: 1043,
  date: 1082,
  time: 1083,
  timestamp: 1114,
  timestamptz: 1184,
  interval: 1186,
  timetz: 1266,
  numeric: 1700,
  uuid: 2950,
  jsonb: 3802,
} as const;

type ElementKind = "number" | "boolean" | "json" | "binary" | "timestamp" | "timestamptz" | "text";

/** Array type oid → how its elements are written into the JSON text of the cell. */
const arrayElements = new Map<number, ElementKind>([
  [1000, "boolean"],
  [1001, "binary"],
  [1005, "number"],
  [1007, "number"],
  [1016, "number"],
  [1021, "number"],
  [1022, "number"],
  [1028, "number"],
  [1231, "number"],
  [199, "json"],
  [3807, "json"],
  [1115, "timestamp"],
  [1185, "timestamptz"],
  // text, varchar, bpchar, name, uuid, date, time, timetz, interval, inet, cidr, macaddr
  ...[1009, 1015, 1014, 1003, 2951, 1182, 1183, 1270, 1187, 1041, 651, 1040].map((id) => [id, "text"] as [number, ElementKind]),
]);

const int32: CellType = { kind: "int32" };
const double: CellType = { kind: "double" };
const text: CellType = { kind: "text" };
const json: CellType = { kind: "json" };

const cellTypes = new Map<number, CellType>([
  [oid.bool, { kind: "boolean" }],
  [oid.bytea, { kind: "binary" }],
  [oid.int8, { kind: "int64" }],
  [oid.int2, int32],
  [oid.int4, int32],
  // An oid is unsigned 32-bit: beyond int32, so it takes int64.
  [oid.oid, { kind: "int64" }],
  [oid.float4, double],
  [oid.float8, double],
  [oid.json, json],
  [oid.jsonb, json],
  [oid.date, { kind: "date" }],
  [oid.timestamp, { kind: "timestamp", utc: false }],
  [oid.timestamptz, { kind: "timestamp", utc: true }],
  [oid.text, text],
  [oid.varchar, text],
  [oid.bpchar, text],
  [oid.uuid, text],
  [oid.time, text],
  [oid.timetz, text],
  [oid.interval, text],
]);

export function isArrayType(dataTypeId: number): boolean {
  return arrayElements.has(dataTypeId);
}

/** numeric(p,s) stores ((p << 16) | s) + 4 as its type modifier; a bare numeric has -1. */
function numericCell(typeModifier: number): CellType {
  if (typeModifier < 4) return { kind: "decimal" };
  const packed = typeModifier - 4;
  return { kind: "decimal", precision: (packed >> 16) & 0xffff, scale: packed & 0xffff };
}

export function postgresCellType(dataTypeId: number, typeModifier: number): CellType {
  if (dataTypeId === oid.numeric) return numericCell(typeModifier);
  return cellTypes.get(dataTypeId) ?? (isArrayType(dataTypeId) ? { kind: "array" } : { kind: "unknown" });
}

/** "2024-01-02 03:04:05.123456+00" (TimeZone=UTC) → "2024-01-02T03:04:05.123456Z". */
function isoTimestamptz(text: string): string {
  const space = text.indexOf(" ");
  // infinity, -infinity and BC dates have no ISO 8601 form; they pass as Postgres wrote them.
  if (space < 0 || !text.endsWith("+00")) return text;
  return text.slice(0, space) + "T" + text.slice(space + 1, -3) + "Z";
}

function isoTimestamp(text: string): string {
  const space = text.indexOf(" ");
  if (space < 0 || text.endsWith(" BC")) return text;
  return text.slice(0, space) + "T" + text.slice(space + 1);
}

const parseBytea = pg.types.getTypeParser(oid.bytea, "text") as (text: string) => Buffer;

const elementParsers: Record<ElementKind, (text: string) => unknown> = {
  number: (text) => new JsonNumber(text),
  boolean: (text) => text === "t",
  json: (text) => new RawJson(text),
  binary: (text) => parseBytea(text),
  timestamp: isoTimestamp,
  timestamptz: isoTimestamptz,
  text: (text) => text,
};

type NestedText = string | null | NestedText[];

/** pg's text[] parser splits any array literal into nested element strings. */
const TEXT_ARRAY = 1009 as Parameters<typeof pg.types.getTypeParser>[0];
const splitArray = pg.types.getTypeParser(TEXT_ARRAY, "text") as (text: string) => NestedText[];

function mapElements(value: NestedText, parse: (text: string) => unknown): unknown {
  if (value === null) return null;
  return Array.isArray(value) ? value.map((v) => mapElements(v, parse)) : parse(value);
}

function arrayParser(kind: ElementKind) {
  const parseElement = elementParsers[kind];
  return (text: string) => toJsonText(mapElements(splitArray(text), parseElement));
}

const keepText = (text: string) => text;

const textParsers = new Map<number, (text: string) => unknown>([
  [oid.bool, (text) => text === "t"],
  [oid.bytea, parseBytea],
  [oid.timestamp, isoTimestamp],
  [oid.timestamptz, isoTimestamptz],
  ...[...arrayElements].map(([id, kind]) => [id, arrayParser(kind)] as [number, (text: string) => unknown]),
]);

/** The `types` option for an export's pg client. */
export const exportTypeParsers: pg.CustomTypesConfig = {
  getTypeParser: ((dataTypeId: number, format?: string) =>
    format === "binary" ? pg.types.getTypeParser(dataTypeId, "binary") : (textParsers.get(dataTypeId) ?? keepText)) as typeof pg.types.getTypeParser,
};
