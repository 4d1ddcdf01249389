/**
 * POSTs to a team's address under the network policy, against a local HTTP server on a free
 * port: allowed in development, refused on loopback outside it, and redirects bounded. Every
 * hop connects through the same checked lookup; a public first hop cannot run here, so a
 * redirect from one to a private address is not tested.
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";

import { afterAll, beforeAll, describe, expect, it } from "vitest";

import { destinationNetworkPolicy } from "./destination-network";
import { postJson } from "./outbound-post";

let server: Server;
let base: string;
const bodies: string[] = [];

beforeAll(async () => {
  server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      bodies.push(Buffer.concat(chunks).toString("utf8"));
      if (req.url === "/moved") return res.writeHead(307, { location: "/hook" }).end();
      if (req.url === "/loop") return res.writeHead(307, { location: "/loop" }).end();
      if (req.url === "/to-file") return res.writeHead(307, { location: "file:///etc/passwd" }).end();
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(() => new Promise((r) => server.close(r)));

const open = { allowPrivateNetworks: true, overrideSetting: "DESTINATIONS_ALLOW_PRIVATE_NETWORKS" };
const closed = { allowPrivateNetworks: false, overrideSetting: "DESTINATIONS_ALLOW_PRIVATE_NETWORKS" };

describe("postJson", () => {
  it("posts the body and follows a redirect, when private networks are allowed", async () => {
    const answer = await postJson(`${base}/moved`, '{"a":1}', {}, open, AbortSignal.timeout(5_000));
    expect(answer.status).toBe(204);
    expect(bodies.slice(-2)).toEqual(['{"a":1}', '{"a":1}']);
  });

  it("refuses a loopback address outside development, naming the setting, before anything is sent", async () => {
    const before = bodies.length;
    await expect(postJson(`${base}/hook`, "{}", {}, closed, AbortSignal.timeout(5_000))).rejects.toThrow(/loopback.*DESTINATIONS_ALLOW_PRIVATE_NETWORKS=true/);
    await expect(postJson("http://localhost:9/hook", "{}", {}, closed, AbortSignal.timeout(5_000))).rejects.toThrow(/loopback/);
    expect(bodies.length).toBe(before);
  });

  it("follows at most 3 redirects, and none to another protocol", async () => {
    await expect(postJson(`${base}/loop`, "{}", {}, open, AbortSignal.timeout(5_000))).rejects.toThrow("more than 3 redirects");
    await expect(postJson(`${base}/to-file`, "{}", {}, open, AbortSignal.timeout(5_000))).rejects.toThrow("a redirect to file: is not followed");
  });
});

describe("destinationNetworkPolicy", () => {
  it("allows private networks in development, and in production only with DESTINATIONS_ALLOW_PRIVATE_NETWORKS", () => {
    const env = (NODE_ENV: "development" | "production", DESTINATIONS_ALLOW_PRIVATE_NETWORKS: boolean) => ({ NODE_ENV, DESTINATIONS_ALLOW_PRIVATE_NETWORKS }) as never;
    expect(destinationNetworkPolicy(env("development", false)).allowPrivateNetworks).toBe(true);
    expect(destinationNetworkPolicy(env("production", false)).allowPrivateNetworks).toBe(false);
    expect(destinationNetworkPolicy(env("production", true)).allowPrivateNetworks).toBe(true);
  });
});
