/**
 * CSV (RFC 4180, CRLF, a header row) through the CSV writer, with formula neutralisation on:
 * the same rules whether the app writes the rows or the database encoded them (COPY … CSV).
 */
import { CsvWriter } from "~/server/csv";

import type { ExportFormat } from "./export-format";

const rules = { neutralizeFormulas: true } as const;

export const csvFormat: ExportFormat = {
  id: "csv",
  label: "CSV",
  hint: "Plain text that every spreadsheet and tool opens; the choice when unsure.",
  extension: "csv",
  contentType: "text/csv; charset=utf-8",
  compressions: ["gzip"],
  databaseEncoding: rules,
  encode(rows, { maxRows, maxBytes, onProgress }) {
    const writer = new CsvWriter(rows.columns, { ...rules, maxRows, maxBytes, onProgress });
    const body = "csvRecords" in rows ? writer.streamRecords(rows.csvRecords) : writer.stream(rows.batches);
    return { body, summary: () => writer.result };
  },
};
