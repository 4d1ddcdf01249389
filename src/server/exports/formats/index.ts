/**
 * The formats an export can be written in. A new one is a file beside csv.ts and a line here:
 * the request schemas (file-options.ts), OpenAPI and the UI's picker list what is here.
 */
import type { CompressionId } from "./compression";
import { csvFormat } from "./csv";
import type { ExportFormat } from "./export-format";
import { jsonlFormat } from "./jsonl";
import { parquetFormat } from "./parquet";
import { xlsxFormat } from "./xlsx";

export type { EncodedFile, EncodedSummary, ExportFormat } from "./export-format";
export { type CompressionId, compressionIds, type ExportCompression, exportCompressions } from "./compression";

export const exportFormats = { csv: csvFormat, xlsx: xlsxFormat, parquet: parquetFormat, jsonl: jsonlFormat } satisfies Record<string, ExportFormat>;

export type FormatId = keyof typeof exportFormats;

/** Every format's id, in the picker's order. */
export const formatIds = Object.keys(exportFormats) as [FormatId, ...FormatId[]];

/** What an export is written as when its request names no format. */
export const defaultFormatId: FormatId = "csv";

/** What the UI's picker shows of each format, and which compressions it offers with it. */
export type FormatChoice = { id: FormatId; label: string; hint: string; compressions: readonly CompressionId[] };

export function formatChoices(): FormatChoice[] {
  return formatIds.map((id) => {
    const { label, hint, compressions } = exportFormats[id];
    return { id, label, hint, compressions };
  });
}
