/**
 * The executor's machine-facing HTTP API, in Inngest's paths and answer shapes: the SDK's
 * sync (`POST /fn/register`) and events (`POST /e/:key`), and runs at `GET /v1/runs`. A sync
 * or an API call must bear the signing key (`Authorization: Bearer`), and an event must name
 * the event key; anything else gets 401, as from Inngest Cloud and `inngest start`.
 */
import type { IncomingMessage, ServerResponse } from "node:http";

import type { Executor } from "./executor";
import { HttpError, MAX_EVENT_BYTES, parseEvents, parseJson, readText } from "./incoming";
import { describeRefusal, readSync, syncBodySchema } from "./registration";
import { bearerMatches, secretsEqual } from "./signature";
import type { StateFile } from "./state";

/** A sync lists every function of an app; far below this. */
const MAX_SYNC_BYTES = 4 * 1024 * 1024;

export type ApiContext = {
  store: StateFile;
  executor: Executor;
  signingKey: string;
  eventKey: string;
  log: (line: string) => void;
  /** Asks every app to sync again. */
  sync: () => Promise<void>;
};

export function isApiPath(pathname: string): boolean {
  return pathname === "/fn/register" || pathname.startsWith("/v1/") || pathname.startsWith("/e/") || pathname === "/health" || pathname === "/dev";
}

export function sendJson(res: ServerResponse, status: number, body: unknown) {
  res.writeHead(status, { "content-type": "application/json" });
  res.end(JSON.stringify(body));
}

async function register(req: IncomingMessage, res: ServerResponse, { store, executor, log }: ApiContext) {
  const parsed = syncBodySchema.safeParse(parseJson(await readText(req, MAX_SYNC_BYTES)));
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new HttpError(400, `the sync is malformed: ${issue.path.join(".") || "body"}: ${issue.message}`);
  }
  const body = parsed.data;
  const { functions, refusals } = readSync(body);
  if (refusals.length > 0) {
    for (const refusal of refusals) log(`[inngest-local] refused the sync of ${body.url}: ${describeRefusal(refusal)}`);
    // The SDK hands `error` back to whoever asked it to sync (its PUT answer), with this status.
    return sendJson(res, 400, {
      status: 400,
      error: `The local executor refused this sync; nothing was registered. ${refusals.map(describeRefusal).join("; ")}`,
      modified: false,
      skipped: false,
    });
  }
  store.state.apps[body.url] = functions;
  store.state.syncedAt[body.url] = new Date().toISOString();
  store.save();
  log(`[inngest-local] synced ${functions.length} function(s) from ${body.url}`);
  executor.resume();
  sendJson(res, 200, { ok: true, status: 200, modified: true, skipped: false });
}

/** Answers an API request. */
export async function handleApi(req: IncomingMessage, res: ServerResponse, url: URL, ctx: ApiContext): Promise<void> {
  const { store, executor } = ctx;
  const keyHolder = bearerMatches(req.headers.authorization, ctx.signingKey);
  if ((url.pathname === "/fn/register" || url.pathname.startsWith("/v1/")) && !keyHolder) {
    return sendJson(res, 401, { error: "a valid signing key is required", status: 401 });
  }
  if (url.pathname.startsWith("/e/") && !secretsEqual(url.pathname.slice("/e/".length), ctx.eventKey)) {
    return sendJson(res, 401, { error: "event key not found", status: 401 });
  }
  if (req.method === "POST" && url.pathname === "/fn/register") return register(req, res, ctx);
  if (req.method === "POST" && url.pathname.startsWith("/e/")) {
    try {
      const ids = executor.receive(parseEvents(await readText(req, MAX_EVENT_BYTES)));
      return sendJson(res, 200, { ids, status: 200 });
    } catch (error) {
      // Inngest's event API answers a bad event in its own shape, with no ids.
      if (error instanceof HttpError) return sendJson(res, error.status, { ids: [], status: error.status, error: error.message });
      throw error;
    }
  }
  if (req.method === "GET" && url.pathname === "/v1/runs") {
    const status = url.searchParams.get("status");
    const fn = url.searchParams.get("function");
    const runs = store.state.runs.filter((r) => (!status || r.status === status) && (!fn || r.functionId.endsWith(fn)));
    return sendJson(res, 200, { data: runs });
  }
  if (req.method === "GET" && url.pathname.startsWith("/v1/runs/")) {
    const run = store.state.runs.find((r) => r.id === url.pathname.slice("/v1/runs/".length));
    return run ? sendJson(res, 200, { data: run }) : sendJson(res, 404, { error: "no such run", status: 404 });
  }
  if (req.method === "POST" && url.pathname === "/v1/sync") {
    await ctx.sync();
    return sendJson(res, 200, { ok: true });
  }
  if (req.method === "GET" && (url.pathname === "/health" || url.pathname === "/dev")) return sendJson(res, 200, { ok: true, functions: store.functions().length });
  sendJson(res, 404, { error: `not found: ${req.method} ${url.pathname}`, status: 404 });
}
