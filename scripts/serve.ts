/**
 * The app's HTTP server: Next.js behind a gate that sees each request line exactly as the
 * client sent it (src/server/http/request-gate.ts). `next start` and `next dev` offer no
 * earlier hook than a proxy, which only sees the path after Next has normalised it.
 *
 *   tsx scripts/serve.ts [--dev] [-p PORT] [-H HOST]
 *
 * It also answers what Node's HTTP parser refuses before any handler runs (a method it does
 * not know, such as `FOO`) and CONNECT, in the same shape, instead of closing the socket.
 */
import { createServer, type IncomingMessage, type ServerResponse, STATUS_CODES } from "node:http";
import type { Duplex } from "node:stream";
import { parseArgs } from "node:util";

import { exitOnInvalidEnv } from "../src/env";
import { AppError } from "../src/server/errors";
import { refuseBeforeRouting } from "../src/server/http/request-gate";
import { errorResponse } from "../src/server/http/error-response";

const { values } = parseArgs({
  options: { dev: { type: "boolean", default: false }, port: { type: "string", short: "p" }, hostname: { type: "string", short: "H" } },
});
const dev = values.dev;
const port = Number(values.port ?? process.env.PORT ?? 3000);
const hostname = values.hostname ?? "0.0.0.0";

async function send(res: ServerResponse, answer: Response) {
  res.writeHead(answer.status, Object.fromEntries(answer.headers));
  res.end(await answer.text());
}

/** An answer written straight to a socket that has no ServerResponse (parse errors, CONNECT). */
async function sendRaw(socket: Duplex, answer: Response) {
  if (!socket.writable) return;
  const body = Buffer.from(await answer.text());
  const head = [`HTTP/1.1 ${answer.status} ${STATUS_CODES[answer.status] ?? ""}`];
  for (const [name, value] of answer.headers) head.push(`${name}: ${value}`);
  head.push(`Content-Length: ${body.length}`, "Connection: close");
  socket.end(Buffer.concat([Buffer.from(`${head.join("\r\n")}\r\n\r\n`), body]));
}

/** The refusal for a request line Node could not parse, judged by its method and target where they can be read. */
function refusalForUnparsed(error: NodeJS.ErrnoException & { rawPacket?: Buffer }): Response {
  const requestLine = /^([!#$%&'*+.^_`|~\w-]+) (\S+) HTTP\/1\.[01]\r?\n/.exec(error.rawPacket?.toString("latin1") ?? "");
  const refusal = requestLine && refuseBeforeRouting(requestLine[1]!, requestLine[2]!);
  return refusal ?? errorResponse(new AppError("BAD_REQUEST", "The request could not be parsed as HTTP/1.1"));
}

async function main() {
  // As the `next` CLI sets them, before Next is first imported (it reads them then).
  Object.assign(process.env, { NODE_ENV: process.env.NODE_ENV || (dev ? "development" : "production"), NEXT_RUNTIME: "nodejs" });
  // Before Next loads and before the port opens: a bad variable never gets as far as listening.
  exitOnInvalidEnv(process.env, "[serve]");
  const { default: next } = await import("next");
  const app = next({ dev, hostname, port, dir: process.cwd() });
  const handle = app.getRequestHandler();
  await app.prepare();

  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const refusal = refuseBeforeRouting(req.method ?? "", req.url ?? "");
    if (refusal) {
      // The body, if any, is not read: the connection closes after the answer.
      res.shouldKeepAlive = false;
      void send(res, refusal);
      return;
    }
    void handle(req, res);
  });
  server.on("connect", (req: IncomingMessage, socket: Duplex) => {
    void sendRaw(socket, refuseBeforeRouting(req.method ?? "CONNECT", req.url ?? "")!);
  });
  server.on("clientError", (error: NodeJS.ErrnoException & { rawPacket?: Buffer }, socket: Duplex) => {
    if (error.code === "ECONNRESET" || !socket.writable) return socket.destroy();
    void sendRaw(socket, refusalForUnparsed(error));
  });

  await new Promise<void>((resolve) => server.listen(port, hostname, resolve));
  console.log(`[serve] Next.js ${dev ? "dev" : "production"} server on http://${hostname}:${port}`);

  const stop = () => {
    server.close();
    void app.close().finally(() => process.exit(0));
  };
  process.on("SIGINT", stop);
  process.on("SIGTERM", stop);
}

main().catch((error: Error) => {
  console.error(`[serve] ${error.stack ?? error.message}`);
  process.exit(1);
});
