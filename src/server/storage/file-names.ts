/**
 * Names for export files: an ASCII name safe in a storage key, a URL and a header, and a
 * Content-Disposition that offers the browser the exact (Unicode) name where it can take it.
 */
import { randomBytes } from "node:crypto";

import { AppError } from "~/server/errors";

/** Every export lives under this prefix, so one bucket lifecycle rule can expire them all. */
export const EXPORTS_PREFIX = "exports/";

const MAX_NAME_LENGTH = 120;
// Windows refuses these as file names, whatever the extension.
const RESERVED_NAMES = /^(con|prn|aux|nul|com\d|lpt\d)$/i;

/**
 * An ASCII file name: letters, digits, `.`, `_` and `-`; accents dropped, anything else a
 * single `_`; no leading dot (hidden files) and no path. Long names keep their extension.
 */
export function safeFileName(name: string, fallback = "export"): string {
  let cleaned = name
    .normalize("NFKD")
    .replace(/[\u0300-\u036f]/g, "")
    .replace(/[^A-Za-z0-9._-]+/g, "_")
    .replace(/_+/g, "_")
    .replace(/_+\./g, ".")
    .replace(/^[._-]+|[._]+$/g, "");
  if (cleaned.length > MAX_NAME_LENGTH) {
    const dot = cleaned.lastIndexOf(".");
    const extension = dot > 0 && cleaned.length - dot <= 10 ? cleaned.slice(dot) : "";
    cleaned = cleaned.slice(0, MAX_NAME_LENGTH - extension.length).replace(/[._]+$/, "") + extension;
  }
  if (!cleaned) return fallback;
  const stem = cleaned.split(".")[0] ?? "";
  return RESERVED_NAMES.test(stem) ? `_${cleaned}` : cleaned;
}

/** `exports/<team>/`: where every key of one team's exports starts. */
export function teamExportsPrefix(teamId: string): string {
  return `${EXPORTS_PREFIX}${safeFileName(teamId, "team")}/`;
}

/**
 * `exports/<team>/<lifetime>s/<32 hex>/<file name>`: the 16 random bytes make the key
 * unguessable, the common prefix lets the lifecycle rule find every export, and the lifetime
 * (in seconds) lets the storage sweep expire the file with no job record to ask. Without a
 * lifetime the key is `exports/<team>/<32 hex>/<file name>`, as keys were before, and the
 * sweep gives it the longest lifetime a file can have.
 */
export function newExportKey(teamId: string, fileName: string, lifetimeSeconds?: number): string {
  if (lifetimeSeconds !== undefined && (!Number.isInteger(lifetimeSeconds) || lifetimeSeconds < 1)) {
    throw new AppError("INTERNAL", `A file's lifetime is a whole number of seconds ≥ 1, not ${lifetimeSeconds}`);
  }
  const lifetime = lifetimeSeconds === undefined ? "" : `${lifetimeSeconds}s/`;
  return `${teamExportsPrefix(teamId)}${lifetime}${randomBytes(16).toString("hex")}/${safeFileName(fileName)}`;
}

const KEY_LIFETIME = new RegExp(`^${EXPORTS_PREFIX}[^/]+/(\\d{1,10})s/[0-9a-f]{32}/`);

/** The lifetime recorded in an export key by `newExportKey`, or undefined if it has none. */
export function lifetimeOfExportKey(key: string): number | undefined {
  const match = KEY_LIFETIME.exec(key);
  return match ? Number(match[1]) : undefined;
}

/** The name shown to the user: Unicode kept, but no path, no control or reserved characters. */
function displayName(name: string): string {
  const cleaned = name
    .normalize("NFC")
    .replace(/\p{Cc}/gu, "")
    .replace(/[/\\<>:"|?*]+/g, "_")
    .replace(/^[\s.]+|[\s.]+$/g, "");
  return Array.from(cleaned).slice(0, 200).join("") || "export";
}

/** RFC 5987 value chars: encodeURIComponent leaves ' ( ) * unescaped, which the RFC does not allow. */
function encodeRfc5987(value: string): string {
  return encodeURIComponent(value).replace(/['()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

/**
 * `attachment` with a quoted ASCII fallback (`filename`) and the exact UTF-8 name
 * (`filename*`, RFC 6266 / 5987), which browsers prefer when they understand it.
 */
export function contentDisposition(fileName: string): string {
  const name = displayName(fileName);
  const ascii =
    name
      .normalize("NFKD")
      .replace(/[\u0300-\u036f]/g, "")
      // `%` too: some browsers percent-decode the plain parameter.
      .replace(/[^\x20-\x7e]|["\\%]/g, "_") || "export";
  return `attachment; filename="${ascii}"; filename*=UTF-8''${encodeRfc5987(name)}`;
}
