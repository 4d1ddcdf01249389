/**
 * A local stand-in for the Inngest dev server, for development and tests on machines that
 * cannot download `inngest-cli`. It takes the SDK's sync (`POST /fn/register`) and events
 * (`POST /e/:key`), drives runs through the app's serve endpoint (executor.ts), keeps its
 * state on disk (state.ts), and lists runs at `GET /v1/runs`. Never for production.
 *
 * It authenticates as Inngest Cloud and `inngest start` do, so the app runs with its SDK in
 * cloud mode and verifies every call (signature.ts): its calls to the app are signed with the
 * signing key; a sync or an API call must bear the key (`Authorization: Bearer`), and an
 * event must name the event key. Anything else gets 401.
 */
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

import { durationMs } from "./expressions";
import { Executor } from "./executor";
import { bearerMatches, isSigningKey, secretsEqual } from "./signature";
import { type Concurrency, type FunctionConfig, type InngestEvent, type Run, StateFile, type Trigger } from "./state";

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

type RegisteredFunction = {
  id: string;
  name?: string;
  triggers?: Trigger[];
  steps?: Record<string, { runtime?: { url?: string }; retries?: { attempts?: number } }>;
  concurrency?: number | Concurrency | Concurrency[];
  cancel?: { event: string; if?: string; timeout?: string }[];
  timeouts?: { finish?: string; start?: string };
  idempotency?: string;
};

function toConfig(fn: RegisteredFunction): FunctionConfig {
  const step = Object.values(fn.steps ?? {})[0];
  const concurrency = fn.concurrency === undefined ? [] : typeof fn.concurrency === "number" ? [{ limit: fn.concurrency }] : [fn.concurrency].flat();
  return {
    id: fn.id,
    name: fn.name,
    triggers: fn.triggers ?? [],
    url: step?.runtime?.url ?? "",
    // `retries` counts retries; Inngest's default is 3 when none is configured.
    attempts: (step?.retries?.attempts ?? 3) + 1,
    concurrency,
    cancel: fn.cancel ?? [],
    timeoutFinishMs: fn.timeouts?.finish ? durationMs(fn.timeouts.finish) : undefined,
    idempotency: fn.idempotency,
  };
}

async function readBody(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  const text = Buffer.concat(chunks).toString("utf8");
  return text ? (JSON.parse(text) as unknown) : {};
}

function send(res: ServerResponse, status: number, body: unknown) {
  res.writeHead(status, { "content-type": "application/json" });
  res.end(JSON.stringify(body));
}

/** The answer Inngest gives a call without valid keys. */
function unauthorized(res: ServerResponse, message: string) {
  send(res, 401, { error: message, status: 401 });
}

export async function startLocalInngest(options: LocalInngestOptions): Promise<LocalInngest> {
  if (!isSigningKey(options.signingKey)) throw new Error("the local executor needs a signing key of the form signkey-<env>-<hex>");
  if (!options.eventKey) throw new Error("the local executor needs an event key");
  const log = options.log ?? ((line: string) => console.log(line));
  const store = new StateFile(options.dataDir);
  const executor = new Executor(store, { signingKey: options.signingKey, backoffScale: options.backoffScale ?? 1, log });
  const warned = new Set<string>();

  const server = createServer((req, res) => {
    void (async () => {
      const url = new URL(req.url ?? "/", "http://localhost");
      try {
        const keyHolder = bearerMatches(req.headers.authorization, options.signingKey);
        if ((url.pathname === "/fn/register" || url.pathname.startsWith("/v1/")) && !keyHolder) {
          return unauthorized(res, "a valid signing key is required");
        }
        if (url.pathname.startsWith("/e/") && !secretsEqual(url.pathname.slice("/e/".length), options.eventKey)) {
          return unauthorized(res, "event key not found");
        }
        if (req.method === "POST" && url.pathname === "/fn/register") {
          const body = (await readBody(req)) as { url: string; functions?: RegisteredFunction[] };
          for (const fn of body.functions ?? []) {
            for (const unsupported of ["rateLimit", "throttle", "debounce", "batchEvents"] as const) {
              if ((fn as Record<string, unknown>)[unsupported] && !warned.has(`${fn.id}:${unsupported}`)) {
                warned.add(`${fn.id}:${unsupported}`);
                log(`[inngest-local] ${fn.id}: ${unsupported} is ignored by the local executor`);
              }
            }
          }
          store.state.apps[body.url] = (body.functions ?? []).map(toConfig);
          store.save();
          log(`[inngest-local] synced ${body.functions?.length ?? 0} function(s) from ${body.url}`);
          executor.resume();
          return send(res, 200, { ok: true, status: 200, modified: true, skipped: false });
        }
        if (req.method === "POST" && url.pathname.startsWith("/e/")) {
          const body = await readBody(req);
          const ids = executor.receive([body].flat() as InngestEvent[]);
          return send(res, 200, { ids, status: 200 });
        }
        if (req.method === "GET" && url.pathname === "/v1/runs") {
          const status = url.searchParams.get("status");
          const fn = url.searchParams.get("function");
          const runs = store.state.runs.filter((r) => (!status || r.status === status) && (!fn || r.functionId.endsWith(fn)));
          return send(res, 200, { data: runs });
        }
        if (req.method === "GET" && url.pathname.startsWith("/v1/runs/")) {
          const run = store.state.runs.find((r) => r.id === url.pathname.slice("/v1/runs/".length));
          return run ? send(res, 200, { data: run }) : send(res, 404, { error: "no such run" });
        }
        if (req.method === "POST" && url.pathname === "/v1/sync") {
          await sync();
          return send(res, 200, { ok: true });
        }
        if (req.method === "GET" && (url.pathname === "/health" || url.pathname === "/dev")) return send(res, 200, { ok: true, functions: store.functions().length });
        send(res, 404, { error: `not found: ${req.method} ${url.pathname}` });
      } catch (error) {
        send(res, 500, { error: (error as Error).message });
      }
    })();
  });

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port ?? 8288, options.host ?? "127.0.0.1", resolve);
  });
  const port = (server.address() as AddressInfo).port;
  const url = `http://${options.host ?? "127.0.0.1"}:${port}`;

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
            // A refused sync is usually two different signing keys: say so once, keep trying.
            if (!reported) log(`[inngest-local] ${appUrl} did not sync (HTTP ${response.status}): ${(await response.text()).slice(0, 300)}`);
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
  log(`[inngest-local] listening on ${url}`);

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
