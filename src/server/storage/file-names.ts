import { randomBytes } from "node:crypto";

/** A file name that is safe in a storage key, a URL and a Content-Disposition header. */
export function safeFileName(name: string, fallback = "export"): string {
  const cleaned = name
    .normalize("NFKD")
    .replace(/[\u0300-\u036f]/g, "")
    .replace(/[^A-Za-z0-9._-]+/g, "_")
    .replace(/_+/g, "_")
    .replace(/^[._]+|[._]+$/g, "")
    .slice(0, 120);
  return cleaned || fallback;
}

/**
 * `exports/<teamId>/<32 hex>/<file name>`: the 16 random bytes make the key unguessable, and
 * the common prefix lets one bucket lifecycle rule expire every export.
 */
export const EXPORTS_PREFIX = "exports/";

export function newExportKey(teamId: string, fileName: string): string {
  return `${EXPORTS_PREFIX}${safeFileName(teamId)}/${randomBytes(16).toString("hex")}/${safeFileName(fileName)}`;
}

/** `attachment` with an ASCII fallback and the exact name in RFC 5987 form. */
export function contentDisposition(fileName: string): string {
  const ascii = fileName.replace(/[^\x20-\x7e]/g, "_").replace(/["\\]/g, "_");
  return `attachment; filename="${ascii}"; filename*=UTF-8''${encodeURIComponent(fileName)}`;
}
