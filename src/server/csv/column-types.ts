/**
 * The type hint an adapter attaches to each result column. The CSV writer formats values by
 * their JavaScript type; the hint only tells it whether a string is free text or the exact
 * digits of a number, which decides formula neutralisation (a "-12.5" in a numeric column
 * is a number, a "-12.5" in a text column could be a formula).
 */
export type ColumnType = "text" | "number" | "bigint" | "decimal" | "boolean" | "date" | "json" | "binary" | "unknown";

export interface CsvColumn {
  name: string;
  type: ColumnType;
}

export function isNumericColumnType(type: ColumnType): boolean {
  return type === "number" || type === "bigint" || type === "decimal";
}
