/**
 * What an export's file is to be: its format and, where the format takes one, a compression.
 * One schema for every edge that takes them (the tRPC start procedures, the REST query strings
 * and bodies), read from the registries, so a new format is accepted, refused and documented
 * everywhere by its registry line alone. A bad value is a 400 that names the field and lists
 * what it may be.
 */
import { z } from "zod";

import { AppError } from "~/server/errors";

import { type CompressionId, compressionIds, type ExportCompression, exportCompressions } from "./compression";
import type { ExportFormat } from "./export-format";
import { defaultFormatId, exportFormats, type FormatId, formatIds } from "./index";

export type FileOptions = { format: FormatId; compression?: CompressionId };

const list = (ids: readonly string[]) => ids.join(", ");

const formatField = z
  .enum(formatIds, { error: () => `must be one of ${list(formatIds)}` })
  .describe(`The file's format: ${list(formatIds)} (${defaultFormatId} when left out).`);
const compressionField = z
  .enum(compressionIds, { error: () => `must be one of ${list(compressionIds)}, or left out` })
  .describe(
    `Compresses the file (${list(compressionIds)}), for the formats that take it: ${list(formatIds.filter((id) => exportFormats[id].compressions.length > 0))}. ` +
      "The file is then served as it is stored, e.g. `.csv.gz` as application/gzip, with no Content-Encoding.",
  );

/** The two fields, for schemas that add their own (a strict query string); pair with `refineFileOptions`. */
export const fileOptionsShape = { format: formatField.default(defaultFormatId), compression: compressionField.optional() };

/** The same fields with no default, for a request that may give them in either of two places (a query string and a body). */
export const fileOptionsFields = { format: formatField.optional(), compression: compressionField.optional() };

/** Refuses a compression that the chosen format does not take (XLSX and Parquet compress themselves). */
export function refineFileOptions(options: { format: FormatId; compression?: CompressionId }, ctx: z.RefinementCtx): void {
  const { format, compression } = options;
  if (compression === undefined) return;
  const allowed = exportFormats[format].compressions;
  if (allowed.includes(compression)) return;
  ctx.addIssue({
    code: "custom",
    path: ["compression"],
    message: allowed.length ? `${format} files take ${list(allowed)}, or no compression` : `${format} files take no compression; leave it out`,
  });
}

export const fileOptionsSchema = z.object(fileOptionsShape).superRefine(refineFileOptions);

/** The file an export's options make: how it is encoded, named and typed. */
export type ExportFileType = { format: ExportFormat; compression?: ExportCompression; extension: string; contentType: string };

export function exportFileType(options: FileOptions): ExportFileType {
  const format = exportFormats[options.format];
  const compression = options.compression === undefined ? undefined : exportCompressions[options.compression];
  if (!compression) return { format, extension: format.extension, contentType: format.contentType };
  return { format, compression, extension: `${format.extension}.${compression.extension}`, contentType: compression.contentType };
}

/** Only the fields set: a job record or an event carries no empty compression. */
export function fileOptionsOf(options: FileOptions): FileOptions {
  return options.compression === undefined ? { format: options.format } : { format: options.format, compression: options.compression };
}

type GivenFileOptions = { format?: string; compression?: string };

/**
 * The file's options from a request that may give each in its query string or its body: one
 * place each, or the same value in both; a field given two different values is refused.
 */
export function fileOptionsFrom(query: GivenFileOptions, body: GivenFileOptions): FileOptions {
  for (const field of ["format", "compression"] as const) {
    const [inQuery, inBody] = [query[field], body[field]];
    if (inQuery !== undefined && inBody !== undefined && inQuery !== inBody) {
      throw new AppError("BAD_REQUEST", `${field}: given as "${inQuery}" in the query and "${inBody}" in the body; give it once`, {
        details: { issues: [{ path: field, message: "given twice, with different values" }] },
      });
    }
  }
  return fileOptionsSchema.parse({ format: query.format ?? body.format, compression: query.compression ?? body.compression });
}
