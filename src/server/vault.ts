/**
 * Encrypts data-source credentials at rest with AES-256-GCM under VAULT_KEY. The stored
 * form is `v1.<iv>.<tag>.<ciphertext>` in base64url, so the key can be rotated later by
 * introducing v2 without touching old rows.
 */
import { createCipheriv, createDecipheriv, randomBytes } from "node:crypto";

import { AppError } from "~/server/errors";

const VERSION = "v1";

function keyBytes(hexKey: string): Buffer {
  const key = Buffer.from(hexKey, "hex");
  if (key.length !== 32) throw new Error("VAULT_KEY must be 32 bytes as 64 hex characters");
  return key;
}

export function seal(plaintext: string, hexKey: string): string {
  const iv = randomBytes(12);
  const cipher = createCipheriv("aes-256-gcm", keyBytes(hexKey), iv);
  const ciphertext = Buffer.concat([cipher.update(plaintext, "utf8"), cipher.final()]);
  const tag = cipher.getAuthTag();
  return [VERSION, iv, tag, ciphertext].map((p) => (typeof p === "string" ? p : p.toString("base64url"))).join(".");
}

export function open(sealed: string, hexKey: string): string {
  const [version, iv, tag, ciphertext] = sealed.split(".");
  if (version !== VERSION || !iv || !tag || ciphertext === undefined) {
    throw new AppError("INTERNAL", "Stored credentials are in an unknown format");
  }
  try {
    const decipher = createDecipheriv("aes-256-gcm", keyBytes(hexKey), Buffer.from(iv, "base64url"));
    decipher.setAuthTag(Buffer.from(tag, "base64url"));
    return Buffer.concat([decipher.update(Buffer.from(ciphertext, "base64url")), decipher.final()]).toString("utf8");
  } catch (cause) {
    // Wrong key or tampered data; the message must not carry any of the ciphertext.
    throw new AppError("INTERNAL", "Stored credentials could not be decrypted (is VAULT_KEY right?)", { cause });
  }
}

export function sealJson(value: unknown, hexKey: string): string {
  return seal(JSON.stringify(value), hexKey);
}

export function openJson(sealed: string, hexKey: string): unknown {
  return JSON.parse(open(sealed, hexKey));
}
