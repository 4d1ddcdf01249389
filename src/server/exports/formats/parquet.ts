/**
 * Parquet through hyparquet-writer's ParquetWriter, a row group at a time: rows gather into
 * columns until a group is full, the group is encoded (snappy) into a writer whose bytes are
 * handed on at once, and memory holds one group, never the file.
 *
 * Types: int32, int64, decimal with the source's precision and scale (as a string where they
 * are unknown), double, boolean, date, timestamp in microseconds (UTC-adjusted for an
 * instant), string, json as a string of the JSON logical type, binary. Every column is
 * optional: sources do not say which are nullable.
 */
import { ByteWriter, ParquetWriter } from "hyparquet-writer";

import { type CellType, cellTypeOf, type Column } from "~/server/columns";

import {
  dateDays,
  jsonSource,
  plainText,
  timestampMicros,
  toBoolean,
  toBytes,
  toDouble,
  toInt32,
  toInt64,
  unscaledDecimal,
} from "./cell-values";
import type { ExportFormat } from "./export-format";
import { eachCell, encodeTypedRows, type RowEncoder, uniqueNames } from "./typed-rows";

/**
 * Rows a group holds: enough for good compression, few enough that the group's columns and
 * the writer's work on them die in V8's young generation. At 10,000 they were promoted and
 * the old generation grew with the file (+26% RSS at 1M rows against 100k; 213 MB at 1M
 * with 5,000). The file is some 3% larger than with 10,000-row groups.
 */
const ROW_GROUP_ROWS = 2_500;

/** The writer's own schema type (it bundles its own hyparquet). */
type SchemaElement = ConstructorParameters<typeof ParquetWriter>[0]["schema"][number];

type Leaf = { element: Omit<SchemaElement, "name">; value: (value: unknown) => unknown };

const encoder = new TextEncoder();

/** Bytes a two's-complement decimal of `precision` digits needs. */
function decimalBytes(precision: number): number {
  return Math.ceil((precision * Math.log2(10) + 1) / 8);
}

function decimalLeaf(precision: number, scale: number): Leaf {
  const base = { converted_type: "DECIMAL", precision, scale, logical_type: { type: "DECIMAL", precision, scale } } as const;
  const value = (v: unknown) => unscaledDecimal(v, precision, scale);
  if (precision <= 9) return { element: { type: "INT32", ...base }, value };
  if (precision <= 18) return { element: { type: "INT64", ...base }, value };
  return { element: { type: "FIXED_LEN_BYTE_ARRAY", type_length: decimalBytes(precision), ...base }, value };
}

const stringLeaf: Leaf = {
  element: { type: "BYTE_ARRAY", converted_type: "UTF8", logical_type: { type: "STRING" } },
  value: plainText,
};

function leafOf(cell: CellType): Leaf {
  switch (cell.kind) {
    case "int32":
      return { element: { type: "INT32" }, value: toInt32 };
    case "int64":
      return { element: { type: "INT64" }, value: toInt64 };
    case "double":
      return { element: { type: "DOUBLE" }, value: toDouble };
    case "decimal":
      // Parquet's decimals go to 38 digits in most readers; wider, or of no declared size, keeps its digits as text.
      return cell.precision && cell.precision <= 38 && cell.scale !== undefined ? decimalLeaf(cell.precision, cell.scale) : stringLeaf;
    case "boolean":
      return { element: { type: "BOOLEAN" }, value: toBoolean };
    case "date":
      return { element: { type: "INT32", converted_type: "DATE", logical_type: { type: "DATE" } }, value: dateDays };
    case "timestamp":
      return {
        element: {
          type: "INT64",
          // The legacy converted type means UTC-adjusted, so only an instant carries it.
          ...(cell.utc ? { converted_type: "TIMESTAMP_MICROS" } : {}),
          logical_type: { type: "TIMESTAMP", isAdjustedToUTC: cell.utc, unit: "MICROS" },
        },
        value: timestampMicros,
      };
    case "json":
    case "array":
      return { element: { type: "BYTE_ARRAY", logical_type: { type: "JSON" } }, value: (v) => encoder.encode(jsonSource(v)) };
    case "binary":
      return { element: { type: "BYTE_ARRAY" }, value: toBytes };
    default:
      return stringLeaf;
  }
}

/** hyparquet-writer's ByteWriter, emptied into chunks as it fills; `offset` keeps counting the file's bytes. */
class ChunkWriter extends ByteWriter {
  private readonly chunks: Buffer[] = [];

  flush(): void {
    if (this.index === 0) return;
    this.chunks.push(Buffer.from(this.buffer.slice(0, this.index)));
    this.index = 0;
  }

  override finish(): void {
    this.flush();
  }

  take(): Buffer[] {
    this.flush();
    return this.chunks.splice(0);
  }
}

function parquetEncoder(columns: readonly Column[]): RowEncoder {
  const names = uniqueNames(columns);
  const leaves = columns.map((c) => leafOf(cellTypeOf(c)));
  const width = columns.length;
  const schema: SchemaElement[] = [
    { name: "root", num_children: width },
    ...leaves.map(({ element }, i) => ({ ...element, name: names[i]!, repetition_type: "OPTIONAL" }) as SchemaElement),
  ];
  const writer = new ChunkWriter();
  const parquet = new ParquetWriter({ writer, schema, codec: "SNAPPY", createdBy: "Export Center" });
  // Made once, not a closure a row.
  const cell = (value: unknown, i: number) => (value === null || value === undefined ? null : leaves[i]!.value(value));
  let group: unknown[][] = names.map(() => []);
  let rows = 0;

  function writeGroup(): void {
    if (rows === 0) return;
    const columnData = names.map((name, i) => ({ name, data: group[i]! }));
    void parquet.write({ columnData, rowGroupSize: rows });
    group = names.map(() => []);
    rows = 0;
  }

  return {
    row(values) {
      const cells = eachCell(values, width, cell);
      for (let i = 0; i < width; i++) group[i]!.push(cells[i]);
      if (++rows === ROW_GROUP_ROWS) writeGroup();
    },
    take: () => writer.take(),
    async end() {
      writeGroup();
      await parquet.finish();
      return writer.take();
    },
  };
}

export const parquetFormat: ExportFormat = {
  id: "parquet",
  label: "Parquet",
  hint: "Columnar and typed, for data warehouses, pandas and DuckDB.",
  compressions: [],
  extension: "parquet",
  contentType: "application/vnd.apache.parquet",
  databaseEncoding: null,
  encode: (rows, options) => encodeTypedRows(rows, options, "Parquet", parquetEncoder),
};
