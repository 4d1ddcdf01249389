/**
 * Streams rows to CSV (RFC 4180, CRLF, header row) in chunks of about `chunkSize` bytes.
 * It pulls one batch at a time from the source, so memory stays at one batch plus one chunk
 * however large the export, and it enforces the row and size limits while it writes.
 */
import { Readable } from "node:stream";

import { isNumericColumnType } from "~/server/columns";
import { AppError } from "~/server/errors";

import { type CsvColumn } from "./column-types";
import { csvField, textField } from "./csv-field";

const DEFAULT_CHUNK_SIZE = 64 * 1024;
const BOM = "\uFEFF";
const QUOTE = 0x22;
const LF = 0x0a;

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
  /** The caps the writer enforces as it writes; none unless told. An export's come from EXPORT_MAX_BYTES and EXPORT_MAX_ROWS. */
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

/**
 * Whole CSV records that a source encoded itself (PostgreSQL's COPY … CSV, MySQL's raw cells):
 * RFC 4180, no header, each record ending in CRLF, values already following this writer's
 * rules. Each chunk says how many records it holds, so nothing has to scan the bytes for
 * record ends: the sources know them (a COPY sends one record a protocol message).
 */
export type CsvRecordChunk = { bytes: Uint8Array; records: number };
export type CsvRecords = AsyncIterable<CsvRecordChunk>;

function formatLimit(bytes: number): string {
  const mb = bytes / (1024 * 1024);
  return Number.isInteger(mb) ? `${mb} MB` : `${bytes} bytes`;
}

/** The failure of a file that outgrew EXPORT_MAX_BYTES while `rowsWritten` rows were in it, whoever counted the bytes. */
export function fileTooLargeError(maxBytes: number, rowsWritten: number): AppError {
  return new AppError(
    "FILE_TOO_LARGE",
    `The export is larger than the ${formatLimit(maxBytes)} limit (stopped after ${rowsWritten} rows). Select fewer rows or columns.`,
    { details: { maxBytes, rowsWritten } },
  );
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
    this.maxBytes = options.maxBytes ?? Infinity;
    this.maxRows = options.maxRows ?? Infinity;
    const neutralizeFormulas = options.neutralizeFormulas ?? true;
    this.neutralize = columns.map((c) => neutralizeFormulas && !isNumericColumnType(c.type));
  }

  /** The counts so far; final once `encode` has finished. */
  get result(): CsvResult {
    return { rows: this.rows, bytes: this.bytes, truncated: this.truncated };
  }

  /** The CSV as Buffer chunks. Stopping early (break, error) stops reading the source. */
  async *encode(batches: RowBatches): AsyncGenerator<Buffer, CsvResult, undefined> {
    const chunkSize = this.options.chunkSize ?? DEFAULT_CHUNK_SIZE;
    const width = this.columns.length;
    const neutralize = this.neutralize;

    let out = this.begin();

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
          yield this.flush(Buffer.from(out, "utf8"));
          out = "";
        }
      }
    }
    if (out.length > 0) yield this.flush(Buffer.from(out, "utf8"));
    else this.options.onProgress?.({ rows: this.rows, bytes: this.bytes });
    return this.result;
  }

  /**
   * The CSV of records a source encoded: the header goes first, and rows are counted, cut at
   * `maxRows` and held to `maxBytes` as `encode` does for rows. The source's chunks pass
   * through as they are.
   */
  async *encodeRecords(records: CsvRecords): AsyncGenerator<Buffer, CsvResult, undefined> {
    // The header waits for the first records, so progress says "writing" only once rows come.
    let header: Buffer | undefined = Buffer.from(this.begin(), "utf8");
    for await (const chunk of records) {
      if (chunk.records === 0) continue;
      if (this.rows === this.maxRows) {
        this.truncated = true;
        break;
      }
      let bytes = Buffer.from(chunk.bytes.buffer, chunk.bytes.byteOffset, chunk.bytes.byteLength);
      const wanted = this.maxRows - this.rows;
      if (chunk.records > wanted) {
        bytes = bytes.subarray(0, recordsEnd(bytes, wanted));
        this.truncated = true;
      }
      if (header) yield this.flush(header, 0);
      header = undefined;
      yield this.flush(bytes, Math.min(chunk.records, wanted));
      if (this.truncated) break;
    }
    if (header) yield this.flush(header, 0);
    return this.result;
  }

  /** A Node stream of the same chunks, e.g. for an upload body. */
  stream(batches: RowBatches): Readable {
    return Readable.from(this.encode(batches), { objectMode: false });
  }

  /** A Node stream of `encodeRecords`. */
  streamRecords(records: CsvRecords): Readable {
    return Readable.from(this.encodeRecords(records), { objectMode: false });
  }

  /** The BOM, if asked for, and the header row. */
  private begin(): string {
    if (this.started) throw new Error("A CsvWriter encodes one result only");
    this.started = true;
    const neutralizeHeader = this.options.neutralizeFormulas ?? true;
    return (this.options.bom ? BOM : "") + this.columns.map((c) => textField(c.name, neutralizeHeader)).join(",") + "\r\n";
  }

  /** Counts a chunk of `rows` rows (all of them in the file, or none), then hands it on. */
  private flush(chunk: Buffer, rows?: number): Buffer {
    if (this.bytes + chunk.length > this.maxBytes) throw fileTooLargeError(this.maxBytes, this.rows);
    this.bytes += chunk.length;
    if (rows !== undefined) this.rows += rows;
    this.options.onProgress?.({ rows: this.rows, bytes: this.bytes });
    return chunk;
  }
}

/**
 * The offset just past the `count`-th record of `bytes`, which starts at a record's start: its
 * LF outside quotes (a doubled quote toggles twice). Only a cut at maxRows needs it.
 */
function recordsEnd(bytes: Buffer, count: number): number {
  let inQuotes = false;
  let found = 0;
  for (let i = 0; i < bytes.length; i++) {
    const c = bytes[i];
    if (c === QUOTE) inQuotes = !inQuotes;
    else if (c === LF && !inQuotes && ++found === count) return i + 1;
  }
  return bytes.length;
}
