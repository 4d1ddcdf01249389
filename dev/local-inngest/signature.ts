/**
 * Inngest's request authentication, as the SDK checks it (node_modules/inngest,
 * components/InngestCommHandler.js `RequestSignature`, helpers/net.js `signDataWithKey`) and
 * docs/SDK_SPEC.md §4.1 in inngest/inngest describes it:
 *
 * - A call to a serve endpoint carries `X-Inngest-Signature: t=<unix seconds>&s=<hex>`, where
 *   `s` is HMAC-SHA256 over the body followed by `t`, keyed with the signing key's text after
 *   its `signkey-<env>-` prefix. The SDK refuses a `t` more than 5 minutes off its clock, and
 *   signs its answer the same way with the key that verified the call.
 * - The SDK authenticates its own calls to the engine (sync, API) with
 *   `Authorization: Bearer signkey-<env>-<sha256 of the key's hex bytes>`.
 *
 * The SDK verifies the RFC 8785 canonical form of the JSON it parsed, not the bytes on the
 * wire, so a call's body is sent already canonical: then both readings sign the same bytes.
 */
import { createHash, createHmac, randomBytes, timingSafeEqual } from "node:crypto";

import canonicalize from "canonicalize";

export const SIGNATURE_HEADER = "x-inngest-signature";
const MAX_SKEW_SECONDS = 5 * 60;
const PREFIX = /^signkey-\w+-/;

/** `signkey-<env>-<hex>`: the form Inngest's keys have, which the SDK's hashing expects. */
export function isSigningKey(key: string): boolean {
  return /^signkey-\w+-(?:[0-9a-f]{2})+$/i.test(key);
}

/** A new signing key in Inngest's form, with 32 random bytes. */
export function newSigningKey(env = "local"): string {
  return `signkey-${env}-${randomBytes(32).toString("hex")}`;
}

/** A new event key: 32 random bytes in hex, safe in the `/e/:key` path. */
export function newEventKey(): string {
  return randomBytes(32).toString("hex");
}

function hmacHex(body: string, signingKey: string, timestamp: string): string {
  return createHmac("sha256", signingKey.replace(PREFIX, "")).update(body).update(timestamp).digest("hex");
}

/** Compares two secrets in constant time. */
export function secretsEqual(a: string, b: string): boolean {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
}

/** The JSON text to send for `value`, in the canonical form the SDK re-derives to verify it. */
export function canonicalJson(value: unknown): string {
  const text = canonicalize(value);
  if (text === undefined) throw new Error("cannot serialise the request body");
  return text;
}

export function signBody(body: string, signingKey: string, now = Date.now()): string {
  const timestamp = String(Math.floor(now / 1000));
  return `t=${timestamp}&s=${hmacHex(body, signingKey, timestamp)}`;
}

export type SignatureCheck = { ok: true } | { ok: false; reason: string };

/** Checks a signature header over `body` exactly as the SDK checks one (format, age, HMAC). */
export function verifySignature(header: string | null, body: string, signingKey: string, now = Date.now()): SignatureCheck {
  if (!header) return { ok: false, reason: "no signature" };
  const params = new URLSearchParams(header);
  const timestamp = params.get("t") ?? "";
  const signature = params.get("s") ?? "";
  if (!/^\d+$/.test(timestamp) || !signature) return { ok: false, reason: "malformed signature" };
  if (Math.abs(now / 1000 - Number(timestamp)) > MAX_SKEW_SECONDS) return { ok: false, reason: "expired signature" };
  if (!secretsEqual(hmacHex(body, signingKey, timestamp), signature)) return { ok: false, reason: "wrong signature" };
  return { ok: true };
}

/** The bearer token the SDK sends for `signingKey`: its prefix, then sha256 of the key's bytes. */
export function hashedSigningKey(signingKey: string): string {
  const prefix = PREFIX.exec(signingKey)?.[0] ?? "";
  return prefix + createHash("sha256").update(Buffer.from(signingKey.replace(PREFIX, ""), "hex")).digest("hex");
}

/**
 * Whether an `Authorization` header proves the signing key: the hashed form the SDK sends,
 * or the key itself, as Inngest's REST API also accepts from operators.
 */
export function bearerMatches(header: string | undefined, signingKey: string): boolean {
  const token = /^Bearer\s+(\S+)$/i.exec(header ?? "")?.[1];
  if (!token) return false;
  return secretsEqual(token, hashedSigningKey(signingKey)) || secretsEqual(token, signingKey);
}
