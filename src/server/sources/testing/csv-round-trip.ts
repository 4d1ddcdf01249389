/**
 * Test support: runs a query through an adapter and the CSV writer, as an export does, and
 * parses the file back with a real CSV parser.
 */
import { parse } from "csv-parse/sync";

import { type CsvColumn, CsvWriter, type CsvWriterOptions } from "~/server/csv";

import { type SourceAdapter, type SourceQuery } from "../source-adapter";

export async function exportAndParse(
  adapter: SourceAdapter,
  query: SourceQuery,
  options: CsvWriterOptions = {},
): Promise<{ columns: CsvColumn[]; header: string[]; rows: string[][]; rowsRead: number; rowsWritten: number; truncated: boolean }> {
  const result = await adapter.query(query);
  let rowsRead = 0;
  async function* counted() {
    for await (const batch of result.batches) {
      rowsRead += batch.length;
      yield batch;
    }
  }
  const writer = new CsvWriter(result.columns, { maxRows: query.maxRows, ...options });
  const chunks: Buffer[] = [];
  for await (const chunk of writer.encode(counted())) chunks.push(chunk);
  const [header = [], ...rows] = parse(Buffer.concat(chunks), { bom: true }) as string[][];
  return {
    columns: result.columns,
    header,
    rows,
    rowsRead,
    rowsWritten: writer.result.rows,
    truncated: writer.result.truncated,
  };
}
