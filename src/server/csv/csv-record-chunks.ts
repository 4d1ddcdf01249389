/**
 * CSV records written straight from a driver's bytes into chunks, for adapters that read a
 * result as raw UTF-8 cells (MySQL's text protocol): the same fields `csvField` would make of
 * the decoded values, without a string per cell, a string per line, or encoding them back to
 * UTF-8. Records end in CRLF and have no header, and each chunk says how many it holds, as
 * `CsvWriter.encodeRecords` takes them.
 *
 * Byte rules match textField's character rules because every character they look at is ASCII,
 * and in UTF-8 no byte of a multi-byte character is below 0x80.
 */
import { startsLikeFormula } from "./csv-field";
import { type CsvRecordChunk } from "./csv-writer";

const LF = 10;
const CR = 13;
const SPACE = 32;
const QUOTE = 34;
const APOSTROPHE = 39;
const COMMA = 44;
const T = 84;
const Z = 90;

const DEFAULT_CHUNK_SIZE = 64 * 1024;

export class CsvRecordChunks {
  private out: Buffer;
  private length = 0;
  private fields = 0;
  private records = 0;

  constructor(private readonly chunkSize = DEFAULT_CHUNK_SIZE) {
    this.out = Buffer.allocUnsafe(chunkSize * 2);
  }

  /** Whether a chunk's worth of whole records is waiting to be taken. */
  get full(): boolean {
    return this.length >= this.chunkSize;
  }

  get size(): number {
    return this.length;
  }

  /** The records written so far, as one chunk; the next records go to a new one. */
  take(): CsvRecordChunk {
    const chunk = { bytes: this.out.subarray(0, this.length), records: this.records };
    this.out = Buffer.allocUnsafe(this.chunkSize * 2);
    this.length = 0;
    this.records = 0;
    return chunk;
  }

  endRecord(): void {
    this.room(2);
    this.out[this.length++] = CR;
    this.out[this.length++] = LF;
    this.fields = 0;
    this.records++;
  }

  /** NULL: an empty field. */
  empty(): void {
    this.separate(0);
  }

  /** UTF-8 text, quoted and neutralised as textField does it. */
  text(bytes: Uint8Array, neutralize: boolean): void {
    const n = bytes.length;
    if (n === 0) return this.separate(0);
    const first = bytes[0]!;
    let mustQuote = first === SPACE || bytes[n - 1] === SPACE;
    let quotes = 0;
    for (let i = 0; i < n; i++) {
      const c = bytes[i]!;
      if (c > COMMA) continue;
      if (c === QUOTE) quotes++;
      else if (c === COMMA || c === LF || c === CR) mustQuote = true;
    }
    const prefix = neutralize && startsLikeFormula(first);
    if (quotes > 0) mustQuote = true;
    this.separate(n + quotes + 3);
    const out = this.out;
    if (mustQuote) out[this.length++] = QUOTE;
    if (prefix) out[this.length++] = APOSTROPHE;
    if (quotes === 0) {
      out.set(bytes, this.length);
      this.length += n;
    } else {
      let at = this.length;
      for (let i = 0; i < n; i++) {
        const c = bytes[i]!;
        out[at++] = c;
        if (c === QUOTE) out[at++] = QUOTE;
      }
      this.length = at;
    }
    if (mustQuote) out[this.length++] = QUOTE;
  }

  /** Bytes that need no quoting or neutralising: the digits of a number. */
  plain(bytes: Uint8Array): void {
    this.separate(bytes.length);
    this.out.set(bytes, this.length);
    this.length += bytes.length;
  }

  /** An ASCII string that needs no quoting or neutralising (a number printed by JavaScript, base64). */
  ascii(text: string): void {
    this.separate(text.length);
    this.length += this.out.write(text, this.length, "latin1");
  }

  /**
   * "2024-01-02 03:04:05[.ffffff]" as ISO 8601, "2024-01-02T03:04:05[.ffffff]" plus `zone`
   * ("Z" for a TIMESTAMP read in UTC, "" for a DATETIME). Anything else (a zero date) is
   * written as the text it is.
   */
  isoDateTime(bytes: Uint8Array, zone: "" | "Z", neutralize: boolean): void {
    const n = bytes.length;
    if (n < 19 || isZeroDate(bytes)) return this.text(bytes, neutralize);
    this.separate(n + 1);
    const out = this.out;
    out.set(bytes, this.length);
    out[this.length + 10] = T;
    this.length += n;
    if (zone) out[this.length++] = Z;
  }

  /** The separator before a field, and room for `bytes` more. */
  private separate(bytes: number): void {
    this.room(bytes + 1);
    if (this.fields++ > 0) this.out[this.length++] = COMMA;
  }

  private room(bytes: number): void {
    if (this.length + bytes <= this.out.length) return;
    // One record larger than a chunk: the chunk grows to hold it.
    const grown = Buffer.allocUnsafe(Math.max(this.out.length * 2, this.length + bytes));
    this.out.copy(grown, 0, 0, this.length);
    this.out = grown;
  }
}

/** "0000-00-00…", MySQL's zero date, which has no ISO form. */
function isZeroDate(bytes: Uint8Array): boolean {
  for (let i = 0; i < 10; i++) if (bytes[i] !== (i === 4 || i === 7 ? 45 : 48)) return false;
  return true;
}
