/**
 * What a format is: how an export's typed rows become the bytes of its file. One file per
 * format under formats/, listed in the registry (formats/index.ts); the run encodes whatever
 * its kind produces with the format, and hands the bytes to the destination. Everything that
 * lets a user choose a format (the request schemas, OpenAPI, the UI's picker) reads the
 * registry, so a new format's file and its line there are all it takes.
 */
import type { Readable } from "node:stream";

import type { CsvRecordsResult, CsvRules, QueryResult } from "~/server/sources";

import type { CompressionId } from "./compression";

/** The export's caps (EXPORT_MAX_ROWS, EXPORT_MAX_BYTES), enforced while the bytes stream. */
export type EncodeOptions = {
  maxRows: number;
  maxBytes: number;
  /** After every chunk written; the caller throttles. */
  onProgress: (progress: { rows: number; bytes: number }) => void;
};

/** The file's figures, known once its body has been read to the end. */
export type EncodedSummary = { rows: number; bytes: number; truncated: boolean };

export type EncodedFile = { body: Readable; summary: () => EncodedSummary };

export interface ExportFormat {
  id: string;
  /** How the UI's format picker names it, e.g. "CSV". */
  label: string;
  /** One line under the label in the picker: what the format is good for. */
  hint: string;
  /** The file name's extension, without the dot. */
  extension: string;
  contentType: string;
  /** The compressions a request may ask for on this format; empty when it takes none (it compresses itself). */
  compressions: readonly CompressionId[];
  /**
   * The rules under which a database may encode records of this format itself, so that they
   * are framed as they come rather than parsed and written again; null when the format needs
   * rows. Only CSV can take PostgreSQL's COPY output today.
   */
  databaseEncoding: CsvRules | null;
  encode(rows: QueryResult | CsvRecordsResult, options: EncodeOptions): EncodedFile;
}
