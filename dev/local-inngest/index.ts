/**
 * A local stand-in for the Inngest dev server, for development and tests on machines that
 * cannot download `inngest-cli`. It takes the SDK's sync and events and answers runs in
 * Inngest's API shapes (api.ts), drives runs through the app's serve endpoint (executor.ts),
 * keeps its state on disk (state.ts), and serves a dashboard of runs, events and functions
 * at its own address (dashboard/). Never for production.
 *
 * It authenticates as Inngest Cloud and `inngest start` do, so the app runs with its SDK in
 * cloud mode and verifies every call (signature.ts). The dashboard has no authentication of
 * its own: it listens on 127.0.0.1 unless told otherwise, and refuses requests from other
 * sites (dashboard/same-origin.ts).
 */
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";

import { handleApi, isApiPath, sendJson } from "./api";
import { createDashboard } from "./dashboard/routes";
import { Executor } from "./executor";
import { HttpError } from "./incoming";
import { isSigningKey } from "./signature";
import { type Run, StateFile } from "./state";

export type { Run } from "./state";

export type LocalInngestOptions = {
  port?: number;
  host?: string;
  /** Serve endpoints to sync at start-up (like `inngest dev -u`), retried until they answer. */
  appUrls?: string[];
  dataDir: string;
  /** The app's INNGEST_SIGNING_KEY (`signkey-<env>-<hex>`). */
  signingKey: string;
  /** The app's INNGEST_EVENT_KEY: the only key `POST /e/:key` accepts. */
  eventKey: string;
  /** Multiplies Inngest's retry schedule; tests pass a small fraction. Default 1. */
  backoffScale?: number;
  log?: (line: string) => void;
};

export type LocalInngest = { url: string; port: number; runs(): Run[]; sync(): Promise<void>; close(): Promise<void> };

export async function startLocalInngest(options: LocalInngestOptions): Promise<LocalInngest> {
  if (!isSigningKey(options.signingKey)) throw new Error("the local executor needs a signing key of the form signkey-<env>-<hex>");
  if (!options.eventKey) throw new Error("the local executor needs an event key");
  const log = options.log ?? ((line: string) => console.log(line));
  const host = options.host ?? "127.0.0.1";
  const store = new StateFile(options.dataDir);
  if (store.setAside) log(`[inngest-local] set aside the state of an older executor as ${store.setAside}: its runs cannot be resumed`);
  const executor = new Executor(store, { signingKey: options.signingKey, backoffScale: options.backoffScale ?? 1, log });
  const dashboard = createDashboard({ store, executor, listenHost: host });
  const api = { store, executor, signingKey: options.signingKey, eventKey: options.eventKey, log, sync: () => sync() };

  const server = createServer((req, res) => {
    const url = new URL(req.url ?? "/", "http://localhost");
    const apiRequest = isApiPath(url.pathname);
    (apiRequest ? handleApi(req, res, url, api) : dashboard.handle(req, res, url)).catch((error: unknown) => {
      // The body may be unread (too large): the connection closes after the answer.
      res.shouldKeepAlive = false;
      if (res.headersSent) return res.end();
      if (error instanceof HttpError) return sendJson(res, error.status, { error: error.message, status: error.status });
      log(`[inngest-local] ${req.method} ${url.pathname} failed: ${(error as Error).stack ?? String(error)}`);
      sendJson(res, 500, { error: (error as Error).message, status: 500 });
    });
  });

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port ?? 8288, host, resolve);
  });
  const port = (server.address() as AddressInfo).port;
  const url = `http://${host.includes(":") ? `[${host}]` : host}:${port}`;

  let stopped = false;
  /** Asks each app to sync (PUT on its serve endpoint), which makes the SDK register here. */
  async function sync(): Promise<void> {
    await Promise.all(
      (options.appUrls ?? []).map(async (appUrl) => {
        let reported = false;
        while (!stopped) {
          try {
            const response = await fetch(appUrl, { method: "PUT" });
            if (response.ok) return;
            // A refused sync is usually two different signing keys, or an option the executor
            // refuses: say so once, and keep trying until the app is fixed and restarted.
            if (!reported) log(`[inngest-local] ${appUrl} did not sync (HTTP ${response.status}): ${(await response.text()).slice(0, 2000)}`);
            reported = true;
          } catch {
            // The app is not up yet.
          }
          await new Promise((r) => setTimeout(r, 500));
        }
      }),
    );
  }

  executor.resume();
  void sync();
  log(`[inngest-local] listening on ${url}; dashboard at ${url}/`);

  return {
    url,
    port,
    runs: () => store.state.runs,
    sync,
    async close() {
      stopped = true;
      executor.close();
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}
