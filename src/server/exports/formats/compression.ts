/**
 * What a file can be compressed with, around its format's bytes: the format's body streams
 * through the compressor to the destination, never held whole. The size cap then counts the
 * compressed bytes, which are what the destination receives, and the format writes uncapped.
 */
import { pipeline, Transform } from "node:stream";
import { createGzip } from "node:zlib";

import { fileTooLargeError } from "~/server/csv";

import type { EncodedFile, EncodeOptions, EncodedSummary } from "./export-format";

export interface ExportCompression {
  id: string;
  /** Added after the format's extension, without the dot: `.csv.gz`. */
  extension: string;
  /**
   * The compressed file's own type. Never sent as Content-Encoding: a browser would then undo
   * the compression and save bytes that no longer match the file's name.
   */
  contentType: string;
  createCompressor(): Transform;
}

const gzip: ExportCompression = {
  id: "gzip",
  extension: "gz",
  contentType: "application/gzip",
  createCompressor: () => createGzip(),
};

export const exportCompressions = { gzip } satisfies Record<string, ExportCompression>;

export type CompressionId = keyof typeof exportCompressions;

export const compressionIds = Object.keys(exportCompressions) as [CompressionId, ...CompressionId[]];

/**
 * Encodes with `encode` (the format's own, given no byte cap) and compresses its body, holding
 * the compressed bytes to `maxBytes` and reporting them as the file's size and progress.
 */
export function encodeCompressed(compression: ExportCompression, options: EncodeOptions, encode: (options: EncodeOptions) => EncodedFile): EncodedFile {
  const { maxBytes, onProgress } = options;
  let rows = 0;
  let bytes = 0;
  const inner = encode({ ...options, maxBytes: Number.POSITIVE_INFINITY, onProgress: (progress) => void (rows = progress.rows) });
  const counter = new Transform({
    transform(chunk: Buffer, _encoding, done) {
      if (bytes + chunk.length > maxBytes) return done(fileTooLargeError(maxBytes, rows));
      bytes += chunk.length;
      onProgress({ rows, bytes });
      done(null, chunk);
    },
  });
  // pipeline() carries a failure either way: the format's (a value it cannot encode) reaches
  // the destination through the counter, and the destination giving up (an abort) destroys
  // the format's body, which stops reading the source.
  const body = pipeline(inner.body, compression.createCompressor(), counter, () => {});
  const summary = (): EncodedSummary => ({ ...inner.summary(), bytes });
  return { body, summary };
}
