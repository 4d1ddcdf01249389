/** Assertions any test can use, unit or integration: what a promise rejected with, and a condition that comes true. */
import { AppError } from "~/server/errors";

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

/** Polls `check` until it holds or `timeoutMs` passes; the last answer is returned. */
export async function eventually(check: () => Promise<boolean>, timeoutMs = 2_000, pollMs = 50): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return true;
    await new Promise((resolve) => setTimeout(resolve, pollMs));
  }
  return check();
}
