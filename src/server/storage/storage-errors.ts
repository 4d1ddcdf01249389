/**
 * What a user reads when the object store cannot be reached: one plain STORAGE_UNAVAILABLE
 * (502), whatever broke underneath. The precise reason (refused, reset, timed out, DNS, the
 * store's own 5xx) goes to the server log only, since it names internal hosts and ports.
 *
 * The mapping sits in the S3 client's middleware, outside the SDK's own retries (when the
 * client has any: storage-config.ts), so that every command (the multipart upload's parts as
 * much as a HEAD) fails the same way once they are spent.
 */
import { AppError } from "~/server/errors";
import { log } from "~/server/log";
import { errorMessage, isNetworkError } from "~/server/sources/source-errors";

export const STORAGE_UNAVAILABLE_MESSAGE = "Storage is unavailable; please try again shortly";

type S3Failure = { name?: string; code?: string; $metadata?: { httpStatusCode?: number } };

/** Whether `error` says the store is out of reach or out of order, rather than refusing this request. */
export function isStorageUnreachable(error: unknown): boolean {
  if (isNetworkError(error)) return true;
  const failure = error as S3Failure | null;
  // The SDK's own connection and request timeouts.
  if (failure?.name === "TimeoutError") return true;
  const status = failure?.$metadata?.httpStatusCode ?? 0;
  // 501 NotImplemented is the store declining a feature (s3rver and lifecycle rules), not an outage.
  return status >= 500 && status !== 501;
}

export function storageUnavailable(error: unknown, command: string): AppError {
  const failure = error as S3Failure | null;
  log("warn", "storage.unavailable", {
    command,
    reason: [failure?.code, failure?.$metadata?.httpStatusCode, errorMessage(error)].filter(Boolean).join(" "),
  });
  return new AppError("STORAGE_UNAVAILABLE", STORAGE_UNAVAILABLE_MESSAGE);
}
