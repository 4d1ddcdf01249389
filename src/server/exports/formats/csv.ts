/**
 * CSV (RFC 4180, CRLF, a header row) through the CSV writer, with formula neutralisation on:
 * the same rules whether the app writes the rows or the database encoded them (COPY … CSV).
 */
import { CsvWriter } from "~/server/csv";

import type { ExportFormat } from "./export-format";

const rules = { neutralizeFormulas: true } as const;

export const csvFormat: ExportFormat = {
  id: "csv",
  extension: "csv",
  contentType: "text/csv; charset=utf-8",
  databaseEncoding: rules,
  encode(rows, { maxRows, maxBytes, onProgress }) {
    const writer = new CsvWriter(rows.columns, { ...rules, maxRows, maxBytes, onProgress });
    const body = "csvRecords" in rows ? writer.streamRecords(rows.csvRecords) : writer.stream(rows.batches);
    return { body, summary: () => writer.result };
  },
};
