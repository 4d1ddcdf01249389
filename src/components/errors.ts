import { TRPCClientError } from "@trpc/client";

import type { AppRouter } from "~/server/api/root";

type ClientError = TRPCClientError<AppRouter>;

function asClientError(error: unknown): ClientError | null {
  return error instanceof TRPCClientError ? (error as ClientError) : null;
}

/** The server's own message (already safe to show), or a plain fallback for network failures. */
export function errorMessage(error: unknown, fallback = "Something went wrong. Please try again."): string {
  const client = asClientError(error);
  if (client) {
    // A fetch that never reached the server has no data; its message is the browser's.
    if (!client.data) return "Could not reach the server. Check your connection and try again.";
    return client.message || fallback;
  }
  return error instanceof Error && error.message ? error.message : fallback;
}

export function errorCode(error: unknown): string | undefined {
  return asClientError(error)?.data?.code;
}

export function appErrorCode(error: unknown): string | undefined {
  return asClientError(error)?.data?.appCode;
}

/** Seconds until another try may succeed, when the server refused for a rate limit. */
export function retryAfterSeconds(error: unknown): number | null {
  const data = asClientError(error)?.data;
  if (!data || (data.code !== "TOO_MANY_REQUESTS" && data.appCode !== "RATE_LIMITED")) return null;
  const seconds = data.details?.retryAfterSeconds;
  return typeof seconds === "number" && Number.isFinite(seconds) && seconds > 0 ? Math.ceil(seconds) : 0;
}

/** A v4 UUID; crypto.randomUUID exists only in secure contexts (https or localhost). */
export function newRequestId(): string {
  if (typeof crypto.randomUUID === "function") return crypto.randomUUID();
  const b = crypto.getRandomValues(new Uint8Array(16));
  b[6] = (b[6]! & 0x0f) | 0x40;
  b[8] = (b[8]! & 0x3f) | 0x80;
  const hex = Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/** The rate-limit refusal in the words the UI uses everywhere, or null for any other error. */
export function rateLimitMessage(error: unknown): string | null {
  const seconds = retryAfterSeconds(error);
  if (seconds === null) return null;
  return seconds > 0 ? `You can start another export in ${seconds} s.` : "Too many exports were started just now. Wait a moment, then try again.";
}
