/**
 * Reading a REST request's JSON body with a hard size cap. The cap is checked against
 * Content-Length before anything is read, and again while the stream is read, so a body
 * that lies about its length, or sends none (chunked), is cut off at the cap all the same.
 */
import type { z } from "zod";

import { AppError } from "~/server/errors";

/**
 * 16 KB. The largest body any endpoint takes today is `{ "requestId": "<64 chars>" }`; the
 * rest is headroom for small additions. Anything bigger is not a request of ours, and
 * refusing it early keeps one client from making the server buffer megabytes.
 */
export const MAX_BODY_BYTES = 16 * 1024;

const tooLarge = () =>
  new AppError("PAYLOAD_TOO_LARGE", `The request body is larger than ${MAX_BODY_BYTES} bytes`, { details: { limitBytes: MAX_BODY_BYTES } });

async function readCapped(req: Request): Promise<Uint8Array> {
  const declared = req.headers.get("content-length");
  if (declared !== null && Number(declared) > MAX_BODY_BYTES) throw tooLarge();
  if (!req.body) return new Uint8Array();

  const reader = req.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > MAX_BODY_BYTES) {
      // Stop the upload here rather than draining the rest of it.
      await reader.cancel();
      throw tooLarge();
    }
    chunks.push(value);
  }
  const bytes = new Uint8Array(size);
  let offset = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return bytes;
}

/** The body, parsed by `schema`; an empty body counts as `{}`, so bodiless POSTs keep working. */
export async function readJsonBody<T>(req: Request, schema: z.ZodType<T>): Promise<T> {
  const bytes = await readCapped(req);
  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    throw new AppError("BAD_REQUEST", "The request body is not valid UTF-8");
  }
  if (!text.trim()) return schema.parse({});
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new AppError("BAD_REQUEST", `The request body is not valid JSON: ${(error as Error).message}`);
  }
  return schema.parse(json);
}
