/**
 * A ZIP archive written front to back, for the XLSX writer: small entries deflated at once,
 * and one entry (the sheet) deflated as it streams, its sizes and CRC in a data descriptor
 * after its data, so nothing is held but what the deflater has not handed on yet.
 *
 * Each entry is compressed as gzip, whose body is the raw deflate data ZIP stores and whose
 * trailer carries the CRC-32 ZIP needs: zlib computes it on its own thread, beside the
 * compression, so the JavaScript thread never reads the bytes a second time.
 *
 * No ZIP64: an entry, or the archive, beyond 4 GiB is refused. Nothing reads an XLSX that
 * large, and a plain archive is what every spreadsheet opens.
 */
import { finished } from "node:stream/promises";
import { createGzip, gzipSync, type Gzip } from "node:zlib";

import { AppError } from "~/server/errors";

const GZIP_HEADER = 10;
const GZIP_TRAILER = 8;
const ZIP32_LIMIT = 0xffff_ffff;
/** Version 2.0 (deflate), the oldest that every reader takes. */
const VERSION = 20;
/** Bit 11: names are UTF-8. */
const UTF8_NAMES = 0x0800;
/** Bit 3: the sizes and CRC follow the data. */
const STREAMED_FLAGS = UTF8_NAMES | 0x0008;
const DEFLATE = 8;
/**
 * At zlib's default (6) the deflater is what a sheet waits for: 1M rows took 40% longer than at
 * 3, for a file 9% smaller. At 3 it keeps up with the XML being built; at 1 the file grows 8% more
 * for 10% less time.
 */
const SHEET_LEVEL = 3;
/** 1980-01-01 00:00, DOS time's start: the entries carry no time worth keeping. */
const DOS_DATE = (0 << 9) | (1 << 5) | 1;

type Written = { name: Buffer; crc: number; compressed: number; size: number; offset: number; flags: number };

function beyondZip32(detail = ""): AppError {
  return new AppError("UNPROCESSABLE", `The file passed the 4 GiB a ZIP archive holds${detail}. Choose CSV, Parquet or JSON Lines.`);
}

function localHeader(entry: Omit<Written, "offset">): Buffer {
  const header = Buffer.alloc(30);
  header.writeUInt32LE(0x04034b50, 0);
  header.writeUInt16LE(VERSION, 4);
  header.writeUInt16LE(entry.flags, 6);
  header.writeUInt16LE(DEFLATE, 8);
  header.writeUInt16LE(0, 10);
  header.writeUInt16LE(DOS_DATE, 12);
  header.writeUInt32LE(entry.crc, 14);
  header.writeUInt32LE(entry.compressed, 18);
  header.writeUInt32LE(entry.size, 22);
  header.writeUInt16LE(entry.name.length, 26);
  header.writeUInt16LE(0, 28);
  return Buffer.concat([header, entry.name]);
}

function centralHeader(entry: Written): Buffer {
  const header = Buffer.alloc(46);
  header.writeUInt32LE(0x02014b50, 0);
  header.writeUInt16LE(VERSION, 4);
  header.writeUInt16LE(VERSION, 6);
  header.writeUInt16LE(entry.flags, 8);
  header.writeUInt16LE(DEFLATE, 10);
  header.writeUInt16LE(0, 12);
  header.writeUInt16LE(DOS_DATE, 14);
  header.writeUInt32LE(entry.crc, 16);
  header.writeUInt32LE(entry.compressed, 20);
  header.writeUInt32LE(entry.size, 24);
  header.writeUInt16LE(entry.name.length, 28);
  header.writeUInt32LE(entry.offset, 42);
  return Buffer.concat([header, entry.name]);
}

function endOfCentralDirectory(count: number, size: number, offset: number): Buffer {
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(count, 8);
  end.writeUInt16LE(count, 10);
  end.writeUInt32LE(size, 12);
  end.writeUInt32LE(offset, 16);
  return end;
}

/** A streamed entry: text in, deflated as it comes. */
export interface ZipEntryStream {
  /** Hands `text` to the deflater; what it gives back is in the archive's next `take()`. */
  write(text: string): void;
  /** Resolves once every write but the latest has been deflated, so one batch compresses while the next is built. */
  settled(): Promise<void>;
}

export class ZipArchive {
  private readonly chunks: Buffer[] = [];
  private readonly written: Written[] = [];
  private offset = 0;
  private streaming: { finish: () => Promise<void> } | null = null;

  private emit(chunk: Buffer): void {
    this.offset += chunk.length;
    if (this.offset > ZIP32_LIMIT) throw beyondZip32();
    this.chunks.push(chunk);
  }

  /** The archive's bytes written since the last take. */
  take(): Buffer[] {
    return this.chunks.splice(0);
  }

  /** Adds a whole entry, its sizes in its header. */
  add(path: string, text: string): void {
    const data = Buffer.from(text);
    const gzip = gzipSync(data);
    const name = Buffer.from(path);
    const entry = {
      name,
      crc: gzip.readUInt32LE(gzip.length - GZIP_TRAILER),
      compressed: gzip.length - GZIP_HEADER - GZIP_TRAILER,
      size: data.length,
      flags: UTF8_NAMES,
    };
    this.written.push({ ...entry, offset: this.offset });
    this.emit(localHeader(entry));
    this.emit(gzip.subarray(GZIP_HEADER, gzip.length - GZIP_TRAILER));
  }

  /** Starts the entry that streams; it ends when the archive does. */
  stream(path: string): ZipEntryStream {
    const name = Buffer.from(path);
    const offset = this.offset;
    this.emit(localHeader({ name, crc: 0, compressed: 0, size: 0, flags: STREAMED_FLAGS }));
    const gzip: Gzip = createGzip({ level: SHEET_LEVEL });
    let skip = GZIP_HEADER;
    // The last 8 bytes seen could be the trailer, so they wait for the next output or the end.
    let tail: Buffer = Buffer.alloc(0);
    let compressed = 0;
    let size = 0;
    let failure: Error | null = null;
    gzip.on("data", (chunk: Buffer) => {
      let body = tail.length ? Buffer.concat([tail, chunk]) : chunk;
      if (skip) {
        const skipped = Math.min(skip, body.length);
        body = body.subarray(skipped);
        skip -= skipped;
      }
      tail = body.subarray(Math.max(0, body.length - GZIP_TRAILER));
      const ready = body.subarray(0, body.length - tail.length);
      if (ready.length === 0) return;
      compressed += ready.length;
      try {
        this.emit(ready);
      } catch (error) {
        failure = error as Error;
        gzip.destroy();
      }
    });
    gzip.on("error", (error) => (failure ??= error));
    let previous: Promise<void> = Promise.resolve();
    let latest: Promise<void> = Promise.resolve();
    const check = () => {
      if (failure) throw failure;
    };

    this.streaming = {
      finish: async () => {
        gzip.end();
        // A failure of our own destroyed the deflater: it, not the premature close, is the reason.
        await finished(gzip).catch((error: unknown) => {
          throw failure ?? error;
        });
        check();
        const crc = tail.readUInt32LE(0);
        const descriptor = Buffer.alloc(16);
        descriptor.writeUInt32LE(0x08074b50, 0);
        descriptor.writeUInt32LE(crc, 4);
        descriptor.writeUInt32LE(compressed, 8);
        descriptor.writeUInt32LE(size, 12);
        this.emit(descriptor);
        this.written.push({ name, crc, compressed, size, offset, flags: STREAMED_FLAGS });
      },
    };
    return {
      write: (text) => {
        check();
        const data = Buffer.from(text);
        size += data.length;
        if (size > ZIP32_LIMIT) throw beyondZip32(` (${path}, before compression)`);
        previous = latest;
        latest = new Promise<void>((resolve) => gzip.write(data, () => resolve()));
      },
      settled: async () => {
        await previous;
        check();
      },
    };
  }

  /** Ends the streamed entry, if any, then writes the central directory. */
  async end(): Promise<Buffer[]> {
    await this.streaming?.finish();
    this.streaming = null;
    const start = this.offset;
    for (const entry of this.written) this.emit(centralHeader(entry));
    this.emit(endOfCentralDirectory(this.written.length, this.offset - start, start));
    return this.take();
  }
}
