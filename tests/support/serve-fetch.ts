/**
 * Fetch-style route handlers (the tRPC route, say) served over real HTTP on a port of their
 * own, so that tests can call them as a client would, streaming answers (SSE included).
 */
import { createServer, type IncomingMessage, type Server } from "node:http";
import { Readable } from "node:stream";
import type { ReadableStream as WebReadableStream } from "node:stream/web";

/** Node's request as the fetch Request a route handler takes. */
function toFetchRequest(req: IncomingMessage, signal: AbortSignal): Request {
  const headers = new Headers();
  for (const [name, value] of Object.entries(req.headers)) {
    for (const v of Array.isArray(value) ? value : value === undefined ? [] : [value]) headers.append(name, v);
  }
  const hasBody = req.method !== "GET" && req.method !== "HEAD";
  return new Request(`http://127.0.0.1${req.url}`, {
    method: req.method,
    headers,
    body: hasBody ? (Readable.toWeb(req) as ReadableStream<Uint8Array>) : undefined,
    signal,
    ...(hasBody ? { duplex: "half" } : {}),
  } as RequestInit);
}

/** Serves fetch-style handlers over HTTP, streaming answers (SSE included) as they come. */
export async function serveFetch(handle: (req: Request) => Promise<Response>): Promise<Server> {
  const http = createServer((req, res) => {
    const closed = new AbortController();
    res.on("close", () => closed.abort());
    void (async () => {
      const response = await handle(toFetchRequest(req, closed.signal));
      res.writeHead(response.status, Object.fromEntries(response.headers));
      if (response.body) {
        for await (const chunk of Readable.fromWeb(response.body as WebReadableStream<Uint8Array>)) res.write(chunk);
      }
      res.end();
    })().catch(() => res.destroy());
  });
  await new Promise<void>((resolve) => http.listen(0, "127.0.0.1", resolve));
  return http;
}

