/**
 * A local SMTP catcher for development and tests: a real SMTP server (smtp-server) on
 * 127.0.0.1 that accepts every message (or refuses the recipients a test tells it to), parses
 * it (mailparser) and keeps it in memory instead of delivering it. `npm start` runs it when no EMAIL_SERVER is set and points the app at it;
 * each caught message is printed with its links, and a developer reads them all on a small
 * HTTP server, loopback only:
 *
 *   GET    /               a page listing the caught messages, newest first
 *   GET    /messages       the same as JSON
 *   GET    /messages/:id   one message as JSON
 *   DELETE /messages       forgets them all
 *
 * No TLS and any login accepted: it is never for production, where EMAIL_SERVER names a real
 * SMTP server.
 *
 *   tsx dev/smtp-catcher.ts --port 2525 --web-port 8025
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";

import { simpleParser } from "mailparser";
import { SMTPServer } from "smtp-server";

export type CaughtMessage = {
  id: string;
  receivedAt: string;
  from: string;
  to: string[];
  subject: string;
  text: string;
  html: string;
  /** Every http(s) URL in the text part, in order. */
  links: string[];
  attachments: { filename: string; contentType: string; size: number }[];
};

export type SmtpCatcher = {
  /** The SMTP URL to set as EMAIL_SERVER. */
  smtpUrl: string;
  smtpPort: number;
  /** Where the page and the JSON API are served. */
  webUrl: string;
  /** Newest first. */
  messages(): CaughtMessage[];
  /** The first caught message (oldest first) that `match` accepts, waiting for it up to `timeoutMs`. */
  waitForMessage(match: (message: CaughtMessage) => boolean, timeoutMs?: number): Promise<CaughtMessage>;
  clear(): void;
  close(): Promise<void>;
};

export type SmtpCatcherOptions = {
  /** 0 (the default) for a free port. */
  port?: number;
  webPort?: number;
  host?: string;
  /** Where each caught message is announced; silent when omitted. */
  log?: (line: string) => void;
  /**
   * The SMTP reply code to refuse a recipient with (RCPT TO), as a real server refuses an
   * unknown mailbox (550) or a busy one (450); undefined accepts it. Asked for every RCPT.
   */
  refuseRecipient?: (address: string) => number | undefined;
};

const LINK = /https?:\/\/[^\s<>"]+/g;

const escapeHtml = (text: string) =>
  text.replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]!);

function page(messages: CaughtMessage[]): string {
  const items = messages
    .map(
      (m) =>
        `<article><h2>${escapeHtml(m.subject)}</h2><p>${escapeHtml(m.receivedAt)} · from ${escapeHtml(m.from)} to ${escapeHtml(m.to.join(", "))}</p>` +
        `<ul>${m.links.map((l) => `<li><a href="${escapeHtml(l)}">${escapeHtml(l)}</a></li>`).join("")}</ul><pre>${escapeHtml(m.text)}</pre></article>`,
    )
    .join("<hr>");
  return (
    `<!doctype html><html><head><meta charset="utf-8"><title>Caught email (${messages.length})</title></head>` +
    `<body style="font-family: system-ui, sans-serif; max-width: 60rem; margin: 2rem auto">` +
    `<h1>Caught email</h1><p>${messages.length ? `${messages.length} message(s), newest first. JSON at <a href="/messages">/messages</a>.` : "No message caught yet."}</p>${items}</body></html>`
  );
}

async function listen(server: { listen(port: number, host: string, done: () => void): unknown }, port: number, host: string): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    (server as unknown as NodeJS.EventEmitter).once("error", reject);
    server.listen(port, host, resolve);
  });
}

export async function startSmtpCatcher(options: SmtpCatcherOptions = {}): Promise<SmtpCatcher> {
  const host = options.host ?? "127.0.0.1";
  const caught: CaughtMessage[] = [];
  let sequence = 0;
  const waiters = new Set<() => void>();

  const smtp = new SMTPServer({
    authOptional: true,
    // A login is accepted as sent, over plain text: this server only catches.
    allowInsecureAuth: true,
    onAuth: (auth, _session, done) => done(null, { user: auth.username ?? "anyone" }),
    disabledCommands: ["STARTTLS"],
    logger: false,
    onRcptTo(address, _session, done) {
      const code = options.refuseRecipient?.(address.address);
      if (code === undefined) return done();
      done(Object.assign(new Error(`${code >= 500 ? "Mailbox unavailable" : "Mailbox busy, try again later"}: ${address.address}`), { responseCode: code }));
    },
    onData(stream, session, done) {
      simpleParser(stream)
        .then((mail) => {
          const text = mail.text ?? "";
          const message: CaughtMessage = {
            id: String(++sequence),
            receivedAt: new Date().toISOString(),
            from: mail.from?.text ?? session.envelope.mailFrom?.toString() ?? "",
            to: session.envelope.rcptTo.map((r) => r.address),
            subject: mail.subject ?? "",
            text,
            html: typeof mail.html === "string" ? mail.html : "",
            links: text.match(LINK) ?? [],
            attachments: mail.attachments.map((a) => ({ filename: a.filename ?? "", contentType: a.contentType, size: a.size })),
          };
          caught.push(message);
          options.log?.(`caught "${message.subject}" for ${message.to.join(", ")}${message.links.length ? `: ${message.links.join(" ")}` : ""}`);
          for (const wake of waiters) wake();
          done();
        })
        .catch((error: Error) => done(error));
    },
  });
  await listen(smtp.server, options.port ?? 0, host);
  const smtpPort = (smtp.server.address() as AddressInfo).port;

  const newestFirst = () => [...caught].reverse();
  const web: Server = createServer((req, res) => {
    const url = new URL(req.url ?? "/", "http://catcher");
    const send = (status: number, type: string, body: string) => {
      res.writeHead(status, { "content-type": type, "cache-control": "no-store" });
      res.end(body);
    };
    if (req.method === "GET" && url.pathname === "/") return send(200, "text/html; charset=utf-8", page(newestFirst()));
    if (req.method === "GET" && url.pathname === "/messages") return send(200, "application/json", JSON.stringify(newestFirst()));
    if (req.method === "DELETE" && url.pathname === "/messages") {
      caught.length = 0;
      return send(204, "text/plain", "");
    }
    const one = /^\/messages\/([^/]+)$/.exec(url.pathname);
    const found = one && caught.find((m) => m.id === one[1]);
    if (req.method === "GET" && found) return send(200, "application/json", JSON.stringify(found));
    send(404, "application/json", JSON.stringify({ error: "No such message or page" }));
  });
  await listen(web, options.webPort ?? 0, host);
  const webUrl = `http://${host}:${(web.address() as AddressInfo).port}`;

  return {
    smtpUrl: `smtp://${host}:${smtpPort}`,
    smtpPort,
    webUrl,
    messages: newestFirst,
    async waitForMessage(match, timeoutMs = 30_000) {
      const found = () => caught.find(match);
      return (
        found() ??
        new Promise<CaughtMessage>((resolve, reject) => {
          const wake = () => {
            const message = found();
            if (!message) return;
            clearTimeout(timer);
            waiters.delete(wake);
            resolve(message);
          };
          const timer = setTimeout(() => {
            waiters.delete(wake);
            reject(new Error(`no matching email was caught within ${timeoutMs} ms (caught: ${caught.map((m) => `"${m.subject}"`).join(", ") || "none"})`));
          }, timeoutMs);
          waiters.add(wake);
        })
      );
    },
    clear() {
      caught.length = 0;
    },
    async close() {
      web.closeAllConnections();
      await Promise.all([new Promise((resolve) => smtp.close(() => resolve(undefined))), new Promise((resolve) => web.close(resolve))]);
    },
  };
}

if (process.argv[1] && fileURLToPath(import.meta.url) === path.resolve(process.argv[1])) {
  const { values } = parseArgs({ options: { port: { type: "string", default: "2525" }, "web-port": { type: "string", default: "8025" } } });
  const catcher = await startSmtpCatcher({ port: Number(values.port), webPort: Number(values["web-port"]), log: (line) => console.log(`[smtp-catcher] ${line}`) });
  console.log(`[smtp-catcher] SMTP on ${catcher.smtpUrl}; caught messages at ${catcher.webUrl}/`);
  const stop = () => void catcher.close().then(() => process.exit(0));
  process.on("SIGINT", stop);
  process.on("SIGTERM", stop);
}
