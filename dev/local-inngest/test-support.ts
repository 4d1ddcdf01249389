/** What the executor's tests share: free ports, polling, and an app serving functions with the real SDK. */
import { createServer, type RequestListener } from "node:http";
import type { AddressInfo } from "node:net";

export async function freePort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((r) => probe.listen(0, "127.0.0.1", r));
  const { port } = probe.address() as AddressInfo;
  await new Promise((r) => probe.close(r));
  return port;
}

/** Reads until `ok` holds, and fails with the last value read once `timeoutMs` has passed. */
export async function until<T>(read: () => Promise<T>, ok: (value: T) => boolean, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (ok(value)) return value;
    if (Date.now() > deadline) throw new Error(`timed out; last value: ${JSON.stringify(value).slice(0, 500)}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** An HTTP server for a serve handler (`serve({ client, functions, servePath: "/api/inngest" })`) on a free port. */
export async function serveApp(handler: RequestListener): Promise<{ url: string; close(): Promise<void> }> {
  const app = createServer(handler);
  await new Promise<void>((r) => app.listen(0, "127.0.0.1", r));
  return {
    url: `http://127.0.0.1:${(app.address() as AddressInfo).port}/api/inngest`,
    async close() {
      app.closeAllConnections();
      await new Promise((r) => app.close(r));
    },
  };
}
