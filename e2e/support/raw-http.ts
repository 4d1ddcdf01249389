/**
 * Requests written to a socket byte for byte, for attacks that an HTTP client would tidy up
 * first: browsers, fetch and Playwright's `request` normalise `%2e%2e` away and refuse TRACE
 * or CONNECT, so they could not replay what an attacker sends.
 */
import net from "node:net";

import { e2eEnv } from "../../playwright.config";

export type RawAnswer = { status: number; headers: Record<string, string>; body: string };

function decodeChunked(body: string): string {
  let out = "";
  let rest = body;
  for (;;) {
    const lineEnd = rest.indexOf("\r\n");
    const size = parseInt(rest.slice(0, lineEnd), 16);
    if (!size) return out;
    out += rest.slice(lineEnd + 2, lineEnd + 2 + size);
    rest = rest.slice(lineEnd + 2 + size + 2);
  }
}

function parse(raw: string): RawAnswer {
  const headEnd = raw.indexOf("\r\n\r\n");
  const [statusLine = "", ...lines] = raw.slice(0, headEnd).split("\r\n");
  const headers: Record<string, string> = {};
  for (const line of lines) {
    const colon = line.indexOf(":");
    headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
  const body = raw.slice(headEnd + 4);
  return { status: Number(statusLine.split(" ")[1]), headers, body: headers["transfer-encoding"] === "chunked" ? decodeChunked(body) : body };
}

/** Sends `method target HTTP/1.1` with the given headers and body, and reads the answer to the end. */
export function rawRequest(method: string, target: string, options: { headers?: Record<string, string>; body?: string } = {}): Promise<RawAnswer> {
  const headers = { Host: `127.0.0.1:${e2eEnv.PORT}`, Connection: "close", ...options.headers };
  if (options.body !== undefined) headers["Content-Length" as keyof typeof headers] = String(Buffer.byteLength(options.body));
  const head = `${method} ${target} HTTP/1.1\r\n${Object.entries(headers).map(([k, v]) => `${k}: ${v}\r\n`).join("")}\r\n`;
  return new Promise((resolve, reject) => {
    const socket = net.connect(Number(e2eEnv.PORT), "127.0.0.1", () => socket.write(head + (options.body ?? "")));
    let raw = "";
    socket.setEncoding("latin1");
    socket.on("data", (chunk: string) => (raw += chunk));
    socket.on("end", () => resolve(parse(raw)));
    socket.on("error", reject);
  });
}

/**
 * Streams a body of `total` bytes and stops as soon as the server answers, without ever
 * ending the request. Resolves with the answer's status line and body, and how many bytes the
 * socket had taken by then: a server that reads the whole body before it answers lets all of
 * them through, one that stops at its cap leaves the rest unsent.
 */
export function streamBodyUntilAnswered(
  target: string,
  options: { headers: Record<string, string>; total: number },
): Promise<{ answer: RawAnswer; bytesWritten: number }> {
  const head = `POST ${target} HTTP/1.1\r\nHost: 127.0.0.1:${e2eEnv.PORT}\r\n${Object.entries(options.headers).map(([k, v]) => `${k}: ${v}\r\n`).join("")}\r\n`;
  const chunked = options.headers["Transfer-Encoding"] === "chunked";
  const piece = Buffer.alloc(64 * 1024, " ");
  const frame = chunked ? Buffer.concat([Buffer.from(`${piece.length.toString(16)}\r\n`), piece, Buffer.from("\r\n")]) : piece;
  return new Promise((resolve, reject) => {
    let written = 0;
    let raw = "";
    let answered = false;
    const socket = net.connect(Number(e2eEnv.PORT), "127.0.0.1");
    const pump = () => {
      while (!answered && written < options.total) {
        written += piece.length;
        if (!socket.write(frame)) return void socket.once("drain", pump);
      }
    };
    socket.on("connect", () => {
      socket.write(head);
      pump();
    });
    socket.setEncoding("latin1");
    socket.on("data", (chunk: string) => {
      raw += chunk;
      const answer = raw.includes("\r\n\r\n") ? parse(raw) : null;
      if (!answer || answered) return;
      // The whole of a short answer arrives at once; wait for its end if it is chunked.
      if (answer.headers["transfer-encoding"] === "chunked" && !raw.endsWith("0\r\n\r\n")) return;
      answered = true;
      resolve({ answer, bytesWritten: socket.bytesWritten });
      socket.destroy();
    });
    socket.on("error", (error) => {
      if (!answered) reject(error);
    });
  });
}
