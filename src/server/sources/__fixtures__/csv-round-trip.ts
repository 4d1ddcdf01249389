/**
 * Test support: runs a query through an adapter and the CSV writer, as an export does, and
 * parses the file back with a real CSV parser. `databaseCsv` takes the adapter's fast path,
 * where the database encodes the CSV itself.
 */
import { parse } from "csv-parse/sync";

import { type CsvColumn, CsvWriter, type CsvWriterOptions } from "~/server/csv";

import { type SourceAdapter, type SourceQuery } from "../source-adapter";

export async function exportAndParse(
  adapter: SourceAdapter,
  query: SourceQuery,
  options: CsvWriterOptions & { databaseCsv?: boolean } = {},
): Promise<{
  columns: CsvColumn[];
  header: string[];
  rows: string[][];
  /** Rows the adapter handed over; unknown when the database encoded the CSV. */
  rowsRead?: number;
  rowsWritten: number;
  truncated: boolean;
  encodedBy: "database" | "app";
}> {
  const { databaseCsv, ...writerOptions } = options;
  const result =
    databaseCsv && adapter.queryCsv
      ? await adapter.queryCsv(query, { neutralizeFormulas: writerOptions.neutralizeFormulas ?? true })
      : await adapter.query(query);
  const writer = new CsvWriter(result.columns, { maxRows: query.maxRows, ...writerOptions });
  let rowsRead: number | undefined;
  let encoded: AsyncIterable<Buffer>;
  if ("csvRecords" in result) {
    encoded = writer.encodeRecords(result.csvRecords);
  } else {
    rowsRead = 0;
    const counted = async function* () {
      for await (const batch of result.batches) {
        rowsRead! += batch.length;
        yield batch;
      }
    };
    encoded = writer.encode(counted());
  }
  const chunks: Buffer[] = [];
  for await (const chunk of encoded) chunks.push(chunk);
  const [header = [], ...rows] = parse(Buffer.concat(chunks), { bom: true }) as string[][];
  return {
    columns: result.columns,
    header,
    rows,
    rowsRead,
    rowsWritten: writer.result.rows,
    truncated: writer.result.truncated,
    encodedBy: "csvRecords" in result ? "database" : "app",
  };
}
