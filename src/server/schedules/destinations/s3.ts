/**
 * The customer's own bucket: a completed run's file streamed (multipart, via ObjectStorage)
 * to `<prefix>/<exportId>/<fileName>`, so that runs never overwrite each other. A copy that
 * fails part-way aborts its multipart upload (storage/multipart-upload.ts), so that no orphan
 * part is left for the customer to pay for. A failed run has no file and nothing is written.
 * Credentials are sealed with the vault, never shown, and scrubbed from any store error before
 * it becomes a delivery's reason.
 */
import { Readable } from "node:stream";

import { z } from "zod";

import { getEnv } from "~/env";
import { isAppError } from "~/server/errors";
import { ObjectStorage } from "~/server/storage";
import { openJson, sealJson } from "~/server/vault";

import { destinationNetworkPolicy, permittedUrl } from "./destination-network";
import { pinnedLookup } from "./pinned-lookup";
import type { ScheduleDestination } from "./schedule-destination";

export const s3Input = z.strictObject({
  type: z.literal("s3"),
  bucket: z.string().min(3).max(63),
  prefix: z.string().max(500).optional(),
  region: z.string().min(1).max(50),
  endpoint: permittedUrl(z.url({ protocol: /^https?$/, error: "must be an http(s) URL" }).max(2000)).optional(),
  forcePathStyle: z.boolean().optional(),
  accessKeyId: z.string().min(1).max(200),
  secretAccessKey: z.string().min(1).max(200),
});

const storedSettings = z.object({
  bucket: z.string(),
  prefix: z.string().nullable(),
  region: z.string(),
  endpoint: z.string().nullable(),
  forcePathStyle: z.boolean(),
  accessKeyIdHint: z.string(),
  sealedCredentials: z.string(),
});
const credentials = z.object({ accessKeyId: z.string(), secretAccessKey: z.string() });

type Settings = z.infer<typeof storedSettings>;

/**
 * The store's client for the settings. Every connection it makes goes to addresses that passed
 * the network policy, pinned on first use: the endpoint's host, checked here first so that a
 * refusal is plain and nothing is sent, or without an endpoint the AWS host the SDK picks
 * (`<bucket>.s3.<region>.amazonaws.com`), checked when it connects.
 */
async function customerStorage(settings: Settings) {
  const pinned = pinnedLookup(destinationNetworkPolicy());
  if (settings.endpoint) await pinned.checkHost(new URL(settings.endpoint).hostname);
  const secret = credentials.parse(openJson(settings.sealedCredentials, getEnv().VAULT_KEY));
  const storage = new ObjectStorage(
    { kind: "s3", bucket: settings.bucket, region: settings.region, endpoint: settings.endpoint ?? undefined, forcePathStyle: settings.forcePathStyle, ...secret },
    { maxAttempts: 1, lookup: pinned.lookup },
  );
  return { storage, secret };
}

/** The store's own error, without the credentials should it echo them; our own errors (a refused address) carry none. */
function scrubbed(error: unknown, secret: { accessKeyId: string; secretAccessKey: string }): Error {
  if (isAppError(error)) return error;
  const name = error instanceof Error && error.name !== "Error" ? `${error.name}: ` : "";
  const message = `${name}${error instanceof Error ? error.message : String(error)}`;
  return new Error(message.split(secret.secretAccessKey).join("***").split(secret.accessKeyId).join("***"));
}

const keyOf = (settings: Settings, ...parts: string[]) => [settings.prefix?.replace(/^\/+|\/+$/g, ""), ...parts].filter(Boolean).join("/");

export const s3Destination: ScheduleDestination<z.infer<typeof s3Input>> = {
  type: "s3",
  input: s3Input,
  signed: false,
  settings: (input) => ({
    bucket: input.bucket,
    prefix: input.prefix ?? null,
    region: input.region,
    endpoint: input.endpoint ?? null,
    forcePathStyle: input.forcePathStyle ?? false,
    accessKeyIdHint: input.accessKeyId.slice(-4),
    sealedCredentials: sealJson({ accessKeyId: input.accessKeyId, secretAccessKey: input.secretAccessKey }, getEnv().VAULT_KEY),
  }),
  view: (stored) => {
    const { sealedCredentials: _sealed, accessKeyIdHint, ...shown } = storedSettings.parse(stored);
    return { ...shown, accessKeyId: `…${accessKeyIdHint}` };
  },
  async deliver({ settings, report, file, signal }) {
    // A failed run has no file, and a bucket cannot take a message.
    if (!file) return;
    const stored = storedSettings.parse(settings);
    const { storage, secret } = await customerStorage(stored);
    try {
      const body = await file.open(signal);
      await storage.uploadStream({ key: keyOf(stored, report.exportId ?? "run", file.name), body, contentType: file.contentType, fileName: file.name, signal });
    } catch (error) {
      throw scrubbed(error, secret);
    } finally {
      // Its sockets are pinned to this delivery's addresses: none outlives it.
      storage.client.destroy();
    }
  },
  async test({ settings, signal }) {
    const stored = storedSettings.parse(settings);
    const { storage, secret } = await customerStorage(stored);
    const key = keyOf(stored, `export-center-test-${Date.now()}.txt`);
    try {
      await storage.uploadStream({ key, body: Readable.from(["Export Center destination test\n"]), contentType: "text/plain; charset=utf-8", signal });
      await storage.deleteObject(key);
    } catch (error) {
      throw scrubbed(error, secret);
    } finally {
      storage.client.destroy();
    }
  },
};
