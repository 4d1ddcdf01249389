/**
 * What an adapter says about each result column. Two levels, because two kinds of writer read
 * them:
 * - `type`, the coarse hint the CSV writer needs: only whether a string is free text or the
 *   exact digits of a number, which decides formula neutralisation;
 * - `cell`, the source's own type, which the typed formats (XLSX, Parquet, JSON Lines) keep:
 *   integer widths, a decimal's precision and scale, a date apart from a timestamp, an array
 *   apart from JSON.
 * An adapter builds both from the cell type with `typedColumn`, so they cannot disagree; a
 * column declared by hand with a coarse type only (a kind's own columns) gets the cell type
 * that coarse type implies.
 */
export type ColumnType = "text" | "number" | "bigint" | "decimal" | "boolean" | "date" | "json" | "binary" | "unknown";

export type CellType =
  | { kind: "int32" }
  | { kind: "int64" }
  | { kind: "double" }
  /** Precision and scale when the source declares them; otherwise a decimal of any size. */
  | { kind: "decimal"; precision?: number; scale?: number }
  | { kind: "boolean" }
  | { kind: "date" }
  /** `utc`: an instant (timestamptz, MySQL TIMESTAMP); otherwise a wall-clock time without zone. */
  | { kind: "timestamp"; utc: boolean }
  | { kind: "text" }
  | { kind: "json" }
  | { kind: "array" }
  | { kind: "binary" }
  | { kind: "unknown" };

export type CellKind = CellType["kind"];

export interface Column {
  name: string;
  type: ColumnType;
  cell?: CellType;
}

const coarse: Record<CellKind, ColumnType> = {
  int32: "number",
  int64: "bigint",
  double: "number",
  decimal: "decimal",
  boolean: "boolean",
  date: "date",
  timestamp: "date",
  text: "text",
  json: "json",
  array: "json",
  binary: "binary",
  unknown: "unknown",
};

const implied: Record<ColumnType, CellType> = {
  text: { kind: "text" },
  number: { kind: "double" },
  bigint: { kind: "int64" },
  decimal: { kind: "decimal" },
  boolean: { kind: "boolean" },
  // A coarse "date" may hold a time of day; a timestamp keeps it.
  date: { kind: "timestamp", utc: true },
  json: { kind: "json" },
  binary: { kind: "binary" },
  unknown: { kind: "unknown" },
};

export function typedColumn(name: string, cell: CellType): Column {
  // A decimal without a fraction is an integer's exact digits, as a bigint's are.
  const type = cell.kind === "decimal" && cell.scale === 0 ? "bigint" : coarse[cell.kind];
  return { name, type, cell };
}

export function cellTypeOf(column: Column): CellType {
  return column.cell ?? implied[column.type];
}

export function isNumericColumnType(type: ColumnType): boolean {
  return type === "number" || type === "bigint" || type === "decimal";
}
