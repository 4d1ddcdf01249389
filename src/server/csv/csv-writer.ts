/**
 * Streams rows to CSV (RFC 4180, CRLF, header row) in chunks of about `chunkSize` bytes.
 * It pulls one batch at a time from the source, so memory stays at one batch plus one chunk
 * however large the export, and it enforces the row and size limits while it writes.
 */
import { Readable } from "node:stream";

import { AppError } from "~/server/errors";

import { type CsvColumn, isNumericColumnType } from "./column-types";
import { csvField, textField } from "./csv-field";

export const DEFAULT_MAX_BYTES = 500 * 1024 * 1024;
export const DEFAULT_MAX_ROWS = 1_000_000;
const DEFAULT_CHUNK_SIZE = 64 * 1024;
const BOM = "\uFEFF";

export interface CsvProgress {
  rows: number;
  bytes: number;
}

export interface CsvResult {
  /** Data rows written, not counting the header. */
  rows: number;
  /** Bytes produced, BOM and header included. */
  bytes: number;
  /** True when the source had a row beyond `maxRows`, which the file leaves out. */
  truncated: boolean;
}

export interface CsvWriterOptions {
  maxBytes?: number;
  maxRows?: number;
  /** Start the file with a UTF-8 byte-order mark, which Excel needs to read UTF-8. */
  bom?: boolean;
  neutralizeFormulas?: boolean;
  chunkSize?: number;
  /** Called after every chunk and at the end; the caller throttles. */
  onProgress?: (progress: CsvProgress) => void;
}

export type RowBatches = AsyncIterable<readonly (readonly unknown[])[]> | Iterable<readonly (readonly unknown[])[]>;

function formatLimit(bytes: number): string {
  const mb = bytes / (1024 * 1024);
  return Number.isInteger(mb) ? `${mb} MB` : `${bytes} bytes`;
}

export class CsvWriter {
  private readonly columns: readonly CsvColumn[];
  private readonly neutralize: boolean[];
  private readonly maxBytes: number;
  private readonly maxRows: number;
  private readonly options: CsvWriterOptions;
  private rows = 0;
  private bytes = 0;
  private truncated = false;
  private started = false;

  constructor(columns: readonly CsvColumn[], options: CsvWriterOptions = {}) {
    this.columns = columns;
    this.options = options;
    this.maxBytes = options.maxBytes ?? DEFAULT_MAX_BYTES;
    this.maxRows = options.maxRows ?? DEFAULT_MAX_ROWS;
    const neutralizeFormulas = options.neutralizeFormulas ?? true;
    this.neutralize = columns.map((c) => neutralizeFormulas && !isNumericColumnType(c.type));
  }

  /** The counts so far; final once `encode` has finished. */
  get result(): CsvResult {
    return { rows: this.rows, bytes: this.bytes, truncated: this.truncated };
  }

  /** The CSV as Buffer chunks. Stopping early (break, error) stops reading the source. */
  async *encode(batches: RowBatches): AsyncGenerator<Buffer, CsvResult, undefined> {
    if (this.started) throw new Error("A CsvWriter encodes one result only");
    this.started = true;
    const chunkSize = this.options.chunkSize ?? DEFAULT_CHUNK_SIZE;
    const width = this.columns.length;
    const neutralize = this.neutralize;
    const neutralizeHeader = this.options.neutralizeFormulas ?? true;

    let out = this.options.bom ? BOM : "";
    out += this.columns.map((c) => textField(c.name, neutralizeHeader)).join(",") + "\r\n";

    rows: for await (const batch of batches) {
      for (const row of batch) {
        if (this.rows === this.maxRows) {
          this.truncated = true;
          break rows;
        }
        let line = width > 0 ? csvField(row[0], neutralize[0] ?? true) : "";
        for (let i = 1; i < width; i++) line += "," + csvField(row[i], neutralize[i] ?? true);
        out += line + "\r\n";
        this.rows++;
        if (out.length >= chunkSize) {
          yield this.flush(out);
          out = "";
        }
      }
    }
    if (out.length > 0) yield this.flush(out);
    else this.options.onProgress?.({ rows: this.rows, bytes: this.bytes });
    return this.result;
  }

  /** A Node stream of the same chunks, e.g. for an upload body. */
  stream(batches: RowBatches): Readable {
    return Readable.from(this.encode(batches), { objectMode: false });
  }

  private flush(text: string): Buffer {
    const chunk = Buffer.from(text, "utf8");
    if (this.bytes + chunk.length > this.maxBytes) {
      throw new AppError(
        "FILE_TOO_LARGE",
        `The export is larger than the ${formatLimit(this.maxBytes)} limit (stopped after ${this.rows} rows). ` +
          "Select fewer rows or columns.",
        { details: { maxBytes: this.maxBytes, rowsWritten: this.rows } },
      );
    }
    this.bytes += chunk.length;
    this.options.onProgress?.({ rows: this.rows, bytes: this.bytes });
    return chunk;
  }
}
