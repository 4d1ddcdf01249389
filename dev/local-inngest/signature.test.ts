/**
 * The signature format, checked against the SDK that has to accept it: a real `inngest/node`
 * serve handler in cloud mode receives calls signed by signature.ts, tampered with, signed
 * with another key, or too old, and the SDK's signed answers are verified back.
 */
import { createHmac } from "node:crypto";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";

import { Inngest } from "inngest";
import { serve } from "inngest/node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

import { bearerMatches, canonicalJson, hashedSigningKey, newSigningKey, SIGNATURE_HEADER, signBody, verifySignature } from "./signature";

const signingKey = newSigningKey("test");
const client = new Inngest({ id: "signature-test", isDev: false, signingKey, eventKey: "unused", baseUrl: "http://127.0.0.1:9" });
const fn = client.createFunction({ id: "echo", triggers: [{ event: "test/echo" }] }, ({ event }) => ({ echoed: event.data.word }));
let app: Server;
let url: string;

beforeAll(async () => {
  app = createServer(serve({ client, functions: [fn], servePath: "/api/inngest" }));
  await new Promise<void>((resolve) => app.listen(0, "127.0.0.1", resolve));
  url = `http://127.0.0.1:${(app.address() as AddressInfo).port}/api/inngest?fnId=signature-test-echo&stepId=step`;
});

afterAll(async () => {
  app.closeAllConnections();
  await new Promise((resolve) => app.close(resolve));
});

// Keys out of order and a non-ASCII value: the canonical form differs from JSON.stringify's.
const event = { name: "test/echo", data: { word: "grüß", a: 1 }, id: "e1", ts: 1 };
const callBody = canonicalJson({ steps: {}, event, events: [event], ctx: { run_id: "r1", attempt: 0, stack: { stack: [], current: 0 } } });

function call(body: string, signature?: string) {
  return fetch(url, { method: "POST", headers: { "content-type": "application/json", ...(signature ? { [SIGNATURE_HEADER]: signature } : {}) }, body });
}

describe("X-Inngest-Signature", () => {
  it("has the form t=<unix seconds>&s=<hex HMAC-SHA256 of body then t>, keyed without the signkey prefix", () => {
    const at = Date.UTC(2024, 0, 18, 12, 0, 0);
    const hmac = createHmac("sha256", "abcd").update('{"a":1}1705579200').digest("hex");
    expect(signBody('{"a":1}', "signkey-test-abcd", at)).toBe(`t=1705579200&s=${hmac}`);
  });

  it("is accepted by the SDK, which runs the function and signs its answer with the same key", async () => {
    const response = await call(callBody, signBody(callBody, signingKey));
    const text = await response.text();
    expect(response.status).toBe(200);
    expect(JSON.parse(text)).toEqual({ echoed: "grüß" });
    expect(verifySignature(response.headers.get(SIGNATURE_HEADER), text, signingKey)).toEqual({ ok: true });
    expect(verifySignature(response.headers.get(SIGNATURE_HEADER), text.replace("grüß", "evil"), signingKey)).toEqual({ ok: false, reason: "wrong signature" });
  });

  it.each([
    ["no signature", () => call(callBody)],
    ["a signature by another key", () => call(callBody, signBody(callBody, newSigningKey("test")))],
    ["a body changed after signing", () => call(callBody.replace("grüß", "evil"), signBody(callBody, signingKey))],
    ["a signature older than 5 minutes", () => call(callBody, signBody(callBody, signingKey, Date.now() - 6 * 60_000))],
    ["a malformed signature", () => call(callBody, "s=deadbeef")],
  ])("is required: %s gets 401 and an unsigned answer", async (_, send) => {
    const response = await send();
    expect(response.status).toBe(401);
    expect(response.headers.get(SIGNATURE_HEADER)).toBeNull();
    expect(await response.json()).toEqual({ message: "Unauthorized" });
  });

  it("is checked for age and form as the SDK checks it", () => {
    const now = Date.now();
    expect(verifySignature(signBody("x", signingKey, now - 4 * 60_000), "x", signingKey, now)).toEqual({ ok: true });
    expect(verifySignature(signBody("x", signingKey, now - 6 * 60_000), "x", signingKey, now)).toEqual({ ok: false, reason: "expired signature" });
    expect(verifySignature(null, "x", signingKey)).toEqual({ ok: false, reason: "no signature" });
    expect(verifySignature("t=abc&s=00", "x", signingKey)).toEqual({ ok: false, reason: "malformed signature" });
  });
});

describe("the SDK's bearer token", () => {
  it("is the key's prefix and the sha256 of its hex bytes (docs/SDK_SPEC.md §4.1.4's example)", () => {
    expect(hashedSigningKey("signkey-prod-12345678")).toBe("signkey-prod-b2ed992186a5cb19f6668aade821f502c1d00970dfd0e35128d51bac4649916c");
  });

  it("proves the key in its hashed form or as the key itself, and nothing else", () => {
    expect(bearerMatches(`Bearer ${hashedSigningKey(signingKey)}`, signingKey)).toBe(true);
    expect(bearerMatches(`Bearer ${signingKey}`, signingKey)).toBe(true);
    expect(bearerMatches(`Bearer ${hashedSigningKey(newSigningKey("test"))}`, signingKey)).toBe(false);
    expect(bearerMatches(undefined, signingKey)).toBe(false);
    expect(bearerMatches(signingKey, signingKey)).toBe(false);
  });
});
