import { type SourceAdapter } from "../source-adapter";

/** Runs a query and reads every batch, so that errors raised while streaming surface too. */
export async function drain(adapter: SourceAdapter, sql: string, statementTimeoutMs = 5_000) {
  const result = await adapter.query({ sql, maxRows: 100, statementTimeoutMs });
  for await (const _ of result.batches) void _;
}
