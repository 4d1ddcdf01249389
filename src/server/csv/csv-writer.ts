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
const CR = 0x0d;

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
 * CSV records a database encoded itself (PostgreSQL's COPY … CSV): RFC 4180, no header,
 * each record ending in LF, values already following this writer's rules.
 */
export type CsvRecords = AsyncIterable<Uint8Array>;

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
   * The CSV of records the database encoded: the header goes first, row ends become CRLF,
   * and rows are counted, cut at `maxRows` and held to `maxBytes` as `encode` does for rows.
   */
  async *encodeRecords(records: CsvRecords): AsyncGenerator<Buffer, CsvResult, undefined> {
    const chunkSize = this.options.chunkSize ?? DEFAULT_CHUNK_SIZE;
    const scan = { inQuotes: false };
    // Records are framed straight into one output buffer per chunk: the database's reads are
    // small (about 8 KB), and a buffer for each would be garbage for V8 to collect. The
    // header waits for the first records, so progress says "writing" only once rows come.
    const header = Buffer.from(this.begin(), "utf8");
    let out = Buffer.allocUnsafe(Math.max(chunkSize, header.length));
    let length = header.copy(out);

    for await (const input of records) {
      const chunk = Buffer.from(input.buffer, input.byteOffset, input.byteLength);
      if (chunk.length === 0) continue;
      if (this.rows === this.maxRows) {
        this.truncated = true;
        break;
      }
      // A CR before every LF at most doubles the bytes.
      if (length + 2 * chunk.length > out.length) {
        if (length > 0) yield this.flush(out.subarray(0, length));
        out = Buffer.allocUnsafe(Math.max(chunkSize, 2 * chunk.length));
        length = 0;
      }
      const framed = crlfRecords(chunk, scan, this.maxRows - this.rows, out, length);
      this.rows += framed.records;
      length = framed.end;
      if (this.rows === this.maxRows && framed.consumed < chunk.length) {
        this.truncated = true;
        break;
      }
    }
    if (length > 0) yield this.flush(out.subarray(0, length));
    else this.options.onProgress?.({ rows: this.rows, bytes: this.bytes });
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

  private flush(chunk: Buffer): Buffer {
    if (this.bytes + chunk.length > this.maxBytes) throw fileTooLargeError(this.maxBytes, this.rows);
    this.bytes += chunk.length;
    this.options.onProgress?.({ rows: this.rows, bytes: this.bytes });
    return chunk;
  }
}

/**
 * Scans `chunk` for record ends (an LF outside quotes; a doubled quote toggles twice), at
 * most `maxRecords` of them, and copies the bytes scanned into `target` at `at`, with a CR
 * before each record's LF. The quote state carries over to the next chunk.
 */
function crlfRecords(
  chunk: Buffer,
  scan: { inQuotes: boolean },
  maxRecords: number,
  target: Buffer,
  at: number,
): { records: number; consumed: number; end: number } {
  const ends: number[] = [];
  let inQuotes = scan.inQuotes;
  let i = 0;
  for (; i < chunk.length; i++) {
    const c = chunk[i];
    if (c === QUOTE) inQuotes = !inQuotes;
    else if (c === LF && !inQuotes) {
      ends.push(i);
      if (ends.length === maxRecords) {
        i++;
        break;
      }
    }
  }
  scan.inQuotes = inQuotes;
  let from = 0;
  let end = at;
  for (const lf of ends) {
    end += chunk.copy(target, end, from, lf);
    target[end++] = CR;
    from = lf;
  }
  end += chunk.copy(target, end, from, i);
  return { records: ends.length, consumed: i, end };
}
