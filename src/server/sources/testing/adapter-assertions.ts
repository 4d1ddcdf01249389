/** Helpers shared by the adapter tests: what a rejected query was, and running one to the end. */
import { AppError } from "~/server/errors";

import { type SourceAdapter } from "../source-adapter";

/** The AppError a promise rejects with; anything else (or no rejection) fails the test. */
export async function failure(promise: Promise<unknown>): Promise<AppError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof AppError) return error;
    throw error;
  }
  throw new Error("expected the promise to reject");
}

/** Runs a query and reads every batch, so that errors raised while streaming surface too. */
export async function drain(adapter: SourceAdapter, sql: string, statementTimeoutMs = 5_000) {
  const result = await adapter.query({ sql, maxRows: 100, statementTimeoutMs });
  for await (const _ of result.batches) void _;
}

/** Polls `check` until it holds or `timeoutMs` passes; the last answer is returned. */
export async function eventually(check: () => Promise<boolean>, timeoutMs = 2_000): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return true;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return check();
}
