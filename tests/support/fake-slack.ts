/**
 * Slack's incoming webhook, faked: Slack itself cannot run here. It answers 400 to a body that
 * is not an incoming-webhook message, as Slack does, and keeps each well-formed one.
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";

export type SlackPayload = { text: string; blocks: { type: string; text?: { type: string; text: string }; elements?: { type: string; url?: string }[] }[] };

export async function startFakeSlack() {
  const received: SlackPayload[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const payload = JSON.parse(Buffer.concat(chunks).toString("utf8")) as SlackPayload;
      const wellFormed = req.headers["content-type"]?.startsWith("application/json") && typeof payload.text === "string" && Array.isArray(payload.blocks) && payload.blocks.every((b) => typeof b.type === "string");
      if (wellFormed) received.push(payload);
      res.writeHead(wellFormed ? 200 : 400).end(wellFormed ? "ok" : "invalid_payload");
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/services/T000/B000/XXXX`, received, close: () => new Promise((r) => server.close(r)) };
}

