/**
 * Reading a REST request's JSON body with a hard size cap (src/server/http/body-limit.ts).
 */
import type { z } from "zod";

import { AppError } from "~/server/errors";
import { limitBody } from "~/server/http/body-limit";

/**
 * 16 KB. The largest body any endpoint takes today is `{ "requestId": "<64 chars>" }`; the
 * rest is headroom for small additions. Anything bigger is not a request of ours, and
 * refusing it early keeps one client from making the server buffer megabytes.
 */
export const MAX_BODY_BYTES = 16 * 1024;

const tooLarge = () =>
  new AppError("PAYLOAD_TOO_LARGE", `The request body is larger than ${MAX_BODY_BYTES} bytes`, { details: { limitBytes: MAX_BODY_BYTES } });

async function readCapped(req: Request): Promise<Uint8Array> {
  const body = limitBody(req, MAX_BODY_BYTES, tooLarge);
  return body ? new Uint8Array(await new Response(body).arrayBuffer()) : new Uint8Array();
}

/**
 * The body, parsed by `schema`, asynchronously since a schema may ask the resolver (a schedule
 * destination's address); an empty body counts as `{}`, so bodiless POSTs keep working.
 */
export async function readJsonBody<T>(req: Request, schema: z.ZodType<T>): Promise<T> {
  const bytes = await readCapped(req);
  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    throw new AppError("BAD_REQUEST", "The request body is not valid UTF-8");
  }
  if (!text.trim()) return schema.parseAsync({});
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new AppError("BAD_REQUEST", `The request body is not valid JSON: ${(error as Error).message}`);
  }
  return schema.parseAsync(json);
}
