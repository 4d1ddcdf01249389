/**
 * A downloaded file read back by the readers the round-trip tests use (csv-parse, exceljs,
 * hyparquet, JSON.parse a line), streaming where the reader can, so that the benchmark checks
 * the file a user gets rather than the row count the app reports.
 */
import { createReadStream } from "node:fs";
import { readFile, stat } from "node:fs/promises";
import { createInterface } from "node:readline";
import { type Readable, Transform } from "node:stream";
import { createGunzip } from "node:zlib";

import { parse } from "csv-parse";
import ExcelJS from "exceljs";
import { parquetMetadata, parquetReadObjects } from "hyparquet";

/** Data rows (the header not counted) and the bytes the format wrote, before any gzip. */
export type ReadBack = { rows: number; bytes: number };

/** The file's format bytes: gunzipped for `.gz`, counted on the way. */
function formatBytes(file: string, gzipped: boolean, counted: { bytes: number }): Readable {
  const counter = new Transform({
    transform(chunk: Buffer, _encoding, done) {
      counted.bytes += chunk.length;
      done(null, chunk);
    },
  });
  const raw = createReadStream(file);
  return (gzipped ? raw.pipe(createGunzip()) : raw).pipe(counter);
}

async function csvRows(input: Readable): Promise<number> {
  let records = 0;
  for await (const _ of input.pipe(parse({ bom: true, relax_column_count: false }))) records++;
  return records - 1;
}

async function jsonlRows(input: Readable): Promise<number> {
  let rows = 0;
  for await (const line of createInterface({ input, crlfDelay: Infinity })) {
    if (line === "") continue;
    JSON.parse(line);
    rows++;
  }
  return rows;
}

async function xlsxRows(file: string): Promise<number> {
  let rows = 0;
  const reader = new ExcelJS.stream.xlsx.WorkbookReader(file, { sharedStrings: "cache", styles: "ignore", hyperlinks: "ignore", worksheets: "emit" });
  for await (const sheet of reader) for await (const _ of sheet) rows++;
  return rows - 1;
}

async function parquetRows(file: string): Promise<number> {
  const bytes = await readFile(file);
  const buffer = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength);
  const declared = Number(parquetMetadata(buffer).num_rows);
  const read = (await parquetReadObjects({ file: buffer, columns: ["id"] })).length;
  if (read !== declared) throw new Error(`the Parquet file declares ${declared} rows and holds ${read}`);
  return read;
}

/** Reads `file`, written as `fileType` (`csv`, `csv.gz`, `xlsx`, `parquet`, `jsonl`, `jsonl.gz`). */
export async function readBack(file: string, fileType: string): Promise<ReadBack> {
  const [format, compression] = fileType.split(".");
  const counted = { bytes: 0 };
  if (format === "csv") return { rows: await csvRows(formatBytes(file, compression === "gz", counted)), bytes: counted.bytes };
  if (format === "jsonl") return { rows: await jsonlRows(formatBytes(file, compression === "gz", counted)), bytes: counted.bytes };
  const { size } = await stat(file);
  if (format === "xlsx") return { rows: await xlsxRows(file), bytes: size };
  if (format === "parquet") return { rows: await parquetRows(file), bytes: size };
  throw new Error(`no reader for ${fileType}`);
}
