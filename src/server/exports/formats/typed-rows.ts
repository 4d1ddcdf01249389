/**
 * What every typed format (XLSX, Parquet, JSON Lines) does around its encoder, as the CSV
 * writer does for CSV: rows pulled a batch at a time, cut at `maxRows` with `truncated`, the
 * bytes counted against `maxBytes` as they are handed on, progress after every chunk, and a
 * value the format cannot store turned into the job's failure with its row and column named.
 */
import { Readable } from "node:stream";

import { type Column } from "~/server/columns";
import { fileTooLargeError } from "~/server/csv";
import { AppError } from "~/server/errors";
import type { CsvRecordsResult, QueryResult } from "~/server/sources";

import { CellValueError } from "./cell-values";
import type { EncodedFile, EncodedSummary, EncodeOptions } from "./export-format";

/** One file being written: rows in, bytes out. */
export interface RowEncoder {
  /** Encodes one row; a CellValueError names the column by `column`. */
  row(values: readonly unknown[]): void;
  /** The bytes ready so far, asked for after every batch. */
  take(): Buffer[] | Promise<Buffer[]>;
  /** Ends the file and gives its last bytes. */
  end(): Promise<Buffer[]>;
}

/** A cell the encoder cannot store, with the index of its column. */
export class ColumnValueError extends Error {
  constructor(
    readonly column: number,
    readonly cause: CellValueError,
  ) {
    super(cause.message);
  }
}

/** Runs `encode` on each cell of a row, naming the column of a value it refuses. */
export function eachCell<T>(values: readonly unknown[], width: number, encode: (value: unknown, column: number) => T): T[] {
  const out = new Array<T>(width);
  for (let i = 0; i < width; i++) {
    try {
      out[i] = encode(values[i], i);
    } catch (error) {
      if (error instanceof CellValueError) throw new ColumnValueError(i, error);
      throw error;
    }
  }
  return out;
}

function cellFailure(error: ColumnValueError, columns: readonly Column[], row: number, format: string): AppError {
  const column = columns[error.column]?.name ?? `#${error.column + 1}`;
  return new AppError("UNPROCESSABLE", `Row ${row}, column "${column}": ${error.message}, which ${format} cannot store.`, {
    details: { row, column },
  });
}

/** Column names as keys: a repeated name (SELECT a, a) gets a suffix, so that no value is lost. */
export function uniqueNames(columns: readonly Column[]): string[] {
  const seen = new Set<string>();
  return columns.map(({ name }) => {
    let unique = name;
    for (let n = 2; seen.has(unique); n++) unique = `${name}_${n}`;
    seen.add(unique);
    return unique;
  });
}

export function encodeTypedRows(
  rows: QueryResult | CsvRecordsResult,
  { maxRows, maxBytes, onProgress }: EncodeOptions,
  format: string,
  open: (columns: readonly Column[]) => RowEncoder,
): EncodedFile {
  const figures: EncodedSummary = { rows: 0, bytes: 0, truncated: false };

  function handOn(chunk: Buffer): Buffer {
    if (figures.bytes + chunk.length > maxBytes) throw fileTooLargeError(maxBytes, figures.rows);
    figures.bytes += chunk.length;
    onProgress({ rows: figures.rows, bytes: figures.bytes });
    return chunk;
  }

  async function* encode(): AsyncGenerator<Buffer> {
    // Only CSV takes records a database encoded (databaseEncoding); every other format gets rows.
    if ("csvRecords" in rows) throw new Error(`${format} is written from rows, not from CSV records`);
    const { columns } = rows;
    const encoder = open(columns);
    batches: for await (const batch of rows.batches) {
      for (const row of batch) {
        if (figures.rows === maxRows) {
          figures.truncated = true;
          break batches;
        }
        try {
          encoder.row(row);
        } catch (error) {
          if (error instanceof ColumnValueError) throw cellFailure(error, columns, figures.rows + 1, format);
          throw error;
        }
        figures.rows++;
      }
      for (const chunk of await encoder.take()) if (chunk.length > 0) yield handOn(chunk);
    }
    for (const chunk of await encoder.end()) if (chunk.length > 0) yield handOn(chunk);
    onProgress({ rows: figures.rows, bytes: figures.bytes });
  }

  return { body: Readable.from(encode(), { objectMode: false }), summary: () => ({ ...figures }) };
}
