/**
 * Turns driver errors into AppErrors whose messages are safe to show and to log.
 *
 * Mapping, the same for every source:
 * - the source cannot be reached, or refuses the login (refused, reset, timed out, unknown
 *   host, bad password or database, TLS) → UPSTREAM_UNAVAILABLE with one message for all of
 *   them, so that a user cannot tell a closed port from a wrong password and map the network
 *   behind the app with data sources. The precise reason goes to the server log only;
 * - the statement ran past its timeout → TIMEOUT, "The query timed out after N ms …",
 *   details.reason "statement_timeout" (504 over REST);
 * - anything else the database says about the statement → QUERY_FAILED with the
 *   database's own message, e.g. `relation "nope" does not exist`.
 *
 * Every message passes through a SecretRedactor first. The driver's error is not attached
 * as `cause`, because loggers print causes and some drivers put connection strings in them.
 */
import { AppError } from "~/server/errors";
import { log } from "~/server/log";

import { type DataSourceType } from "./source-adapter";

const REDACTED = "[redacted]";
const MAX_MESSAGE_LENGTH = 2_000;

/** Secrets shorter than this are not replaced verbatim: "a" would shred every message. */
const MIN_SECRET_LENGTH = 4;

const patterns: [RegExp, string][] = [
  [/-----BEGIN [A-Z ]*PRIVATE KEY-----[\s\S]*?(?:-----END [A-Z ]*PRIVATE KEY-----|$)/g, REDACTED],
  // user:password@ in any URL
  [/([a-z][a-z0-9+.-]*:\/\/[^\s:/@]*):[^\s@/]*@/gi, `$1:${REDACTED}@`],
  // password=…, "password": "…", pwd: …, token=…, in URLs, DSNs, JSON and driver dumps, but
  // not MySQL's "(using password: YES)"
  [
    /(["']?)\b(password|passwd|pwd|secret|client_secret|token|access_token|refresh_token|private_?key|privateKeyPass)\1(\s*[=:]\s*)(?!(?:YES|NO)\))("(?:[^"\\]|\\.)*"|'[^']*'|[^\s&;,"'})]+)/gi,
    `$1$2$1$3${REDACTED}`,
  ],
  [/\bBearer\s+[A-Za-z0-9._~+/=-]+/g, `Bearer ${REDACTED}`],
];

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

/** Removes the credentials it was given, and anything shaped like a credential, from text. */
export class SecretRedactor {
  private readonly secrets: RegExp | undefined;

  constructor(secrets: readonly (string | undefined | null)[]) {
    const variants = new Set<string>();
    for (const secret of secrets) {
      if (!secret || secret.length < MIN_SECRET_LENGTH) continue;
      variants.add(secret);
      variants.add(encodeURIComponent(secret));
      // A private key can surface line by line.
      for (const line of secret.split(/\r?\n/)) if (line.length >= 16) variants.add(line);
    }
    // Longest first, so that a URL is removed whole before the password inside it.
    const alternatives = [...variants].sort((a, b) => b.length - a.length).map(escapeRegExp);
    this.secrets = alternatives.length > 0 ? new RegExp(alternatives.join("|"), "g") : undefined;
  }

  redact(text: string): string {
    let result = this.secrets ? text.replace(this.secrets, REDACTED) : text;
    for (const [pattern, replacement] of patterns) result = result.replace(pattern, replacement);
    return result.length > MAX_MESSAGE_LENGTH ? result.slice(0, MAX_MESSAGE_LENGTH) + "…" : result;
  }
}

/** A connection URL and the password inside it, decoded and as written. */
export function urlSecrets(url: string): string[] {
  try {
    const { password } = new URL(url);
    return [url, password, decodeURIComponent(password)];
  } catch {
    return [url];
  }
}

export function errorMessage(error: unknown): string {
  if (error instanceof Error) return error.message || error.name;
  if (typeof error === "string") return error;
  return "Unknown error";
}

function errorCode(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === "string" ? code : undefined;
}

const networkErrorCodes = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "ENOTFOUND",
  "EAI_AGAIN",
  "EAI_FAIL",
  "ENODATA",
  "ETIMEDOUT",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "EPIPE",
  "PROTOCOL_CONNECTION_LOST",
  "ERR_TLS_CERT_ALTNAME_INVALID",
  "DEPTH_ZERO_SELF_SIGNED_CERT",
  "SELF_SIGNED_CERT_IN_CHAIN",
  "UNABLE_TO_VERIFY_LEAF_SIGNATURE",
]);

/** A failure of the connection itself rather than of the statement. */
export function isNetworkError(error: unknown): boolean {
  const code = errorCode(error);
  return code !== undefined && networkErrorCodes.has(code);
}

export const CONNECTION_FAILED_MESSAGE =
  "Could not connect to the data source. Check its host, port, database, user and password; the server log has the reason.";

export function connectionFailed(error: unknown, redactor: SecretRedactor, source: DataSourceType): AppError {
  log("warn", "source.connect_failed", { source, code: errorCode(error), reason: redactor.redact(errorMessage(error)) });
  return new AppError("UPSTREAM_UNAVAILABLE", CONNECTION_FAILED_MESSAGE);
}

export function queryFailed(error: unknown, redactor: SecretRedactor, details?: Record<string, unknown>): AppError {
  return new AppError("QUERY_FAILED", redactor.redact(errorMessage(error)), { details });
}

export function queryTimedOut(timeoutMs: number, error: unknown, redactor: SecretRedactor): AppError {
  return new AppError(
    "TIMEOUT",
    `The query timed out after ${timeoutMs} ms (${redactor.redact(errorMessage(error))})`,
    { details: { reason: "statement_timeout", timeoutMs } },
  );
}

/** Lets an AppError we raised ourselves, or the caller's abort reason, through unchanged. */
export function isPassThrough(error: unknown, signal: AbortSignal | undefined): boolean {
  return error instanceof AppError || (signal?.aborted === true && error === signal.reason);
}
