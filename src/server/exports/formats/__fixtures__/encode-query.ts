/**
 * Test support: runs a query through an adapter and a format, as an export's producing step
 * does, and gives the whole file with its figures.
 */
import type { SourceAdapter, SourceQuery } from "~/server/sources";

import type { EncodedSummary, ExportFormat } from "../export-format";

export async function encodeQuery(
  adapter: SourceAdapter,
  format: ExportFormat,
  query: SourceQuery,
  limits: { maxRows?: number; maxBytes?: number } = {},
): Promise<{ file: Buffer; summary: EncodedSummary; progress: { rows: number; bytes: number }[] }> {
  const rows = await adapter.query(query);
  const progress: { rows: number; bytes: number }[] = [];
  const encoded = format.encode(rows, {
    maxRows: limits.maxRows ?? query.maxRows,
    maxBytes: limits.maxBytes ?? 500 * 1024 * 1024,
    onProgress: (p) => progress.push(p),
  });
  const chunks: Buffer[] = [];
  for await (const chunk of encoded.body) chunks.push(chunk as Buffer);
  return { file: Buffer.concat(chunks), summary: encoded.summary(), progress };
}
