/**
 * What comes in over HTTP: request bodies, read up to a limit, and events, checked as
 * Inngest's event API checks them (pkg/api/api.go and v2/endpoints_event.go in
 * inngest/inngest): JSON, one event or a list, each with a name, and at most 3 MiB
 * (consts.AbsoluteMaxEventSize). The API and the dashboard's "Send event" form read events
 * through the same function, so both refuse the same things with the same reason.
 */
import type { IncomingMessage } from "node:http";

import { z } from "zod";

import type { InngestEvent } from "./state";

export const MAX_EVENT_BYTES = 3 * 1024 * 1024;

/** A request the executor refuses, with the HTTP status and the reason to show. */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/** The body as text; past `limit` bytes it stops reading and refuses the request. */
export async function readText(req: IncomingMessage, limit: number): Promise<string> {
  const tooLarge = () => new HttpError(400, `the request body is larger than ${limit} bytes, the most accepted`);
  if (Number(req.headers["content-length"]) > limit) throw tooLarge();
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > limit) throw tooLarge();
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString("utf8");
}

export function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    throw new HttpError(400, `the body is not JSON: ${(error as Error).message}`);
  }
}

const eventSchema = z.object({
  name: z.string({ error: "the event has no name" }).trim().min(1, "the event has no name"),
  data: z.record(z.string(), z.unknown(), { error: "the event's data must be an object" }).nullish(),
  id: z.string({ error: "the event's id must be a string" }).optional(),
  ts: z.number({ error: "the event's ts must be a number (ms since the epoch)" }).optional(),
  user: z.unknown().optional(),
  v: z.string().optional(),
});

/** The events in a request body (one event or a list), or an HttpError naming what is wrong. */
export function parseEvents(text: string): InngestEvent[] {
  if (Buffer.byteLength(text) > MAX_EVENT_BYTES) throw new HttpError(400, `the events are ${Buffer.byteLength(text)} bytes; at most ${MAX_EVENT_BYTES} (3 MiB) are accepted`);
  if (!text.trim()) throw new HttpError(400, "the body is empty; send an event such as {\"name\": \"app/thing.happened\", \"data\": {}}");
  const body = parseJson(text);
  const list = Array.isArray(body) ? body : [body];
  if (list.length === 0) throw new HttpError(400, "the list of events is empty");
  return list.map((item, i) => {
    if (item === null || typeof item !== "object" || Array.isArray(item)) throw new HttpError(400, `${list.length > 1 ? `event ${i + 1}` : "the event"} must be a JSON object`);
    const parsed = eventSchema.safeParse(item);
    if (!parsed.success) {
      const reason = parsed.error.issues[0]!.message;
      throw new HttpError(400, list.length > 1 ? `event ${i + 1}: ${reason}` : reason);
    }
    const { data, ...rest } = parsed.data;
    return { ...rest, data: data ?? {} };
  });
}
