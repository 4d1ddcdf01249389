/**
 * The formats an export can be written in. A new one is a file beside csv.ts and a line here.
 * Every export is CSV until a request can name its format.
 */
import { csvFormat } from "./csv";
import type { ExportFormat } from "./export-format";
import { jsonlFormat } from "./jsonl";
import { parquetFormat } from "./parquet";
import { xlsxFormat } from "./xlsx";

export type { EncodedFile, EncodedSummary, ExportFormat } from "./export-format";

export const exportFormats = { csv: csvFormat, xlsx: xlsxFormat, parquet: parquetFormat, jsonl: jsonlFormat } satisfies Record<string, ExportFormat>;

export const defaultFormat: ExportFormat = exportFormats.csv;
