/**
 * The dashboard, served by the executor's own HTTP server at `/` as Inngest's dev server
 * serves its own: plain server-rendered pages (runs, a run, events, functions), a stylesheet
 * and one small script that keeps them live. Its forms cancel and rerun runs and send events,
 * through the same code as the API; same-origin.ts says who may use them.
 */
import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import type { IncomingMessage, ServerResponse } from "node:http";

import type { Executor } from "../executor";
import { HttpError, MAX_EVENT_BYTES, parseEvents, readText } from "../incoming";
import type { StateFile } from "../state";
import { EXAMPLE_EVENT, eventsPage, type SendForm } from "./events-page";
import { functionsPage } from "./functions-page";
import { html, type SafeHtml } from "./html";
import { layout, type Section } from "./layout";
import { runPage } from "./run-page";
import { runsPage } from "./runs-page";
import { refuseCrossSite, refuseHost } from "./same-origin";

/** A form's body is URL-encoded, which can triple the size of the event it carries. */
const MAX_FORM_BYTES = 3 * MAX_EVENT_BYTES + 4096;

const HEADERS = {
  // No inline script or style, nothing from elsewhere: a payload that slips through escaping still cannot run.
  "content-security-policy": "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
  "x-content-type-options": "nosniff",
  // Not "no-referrer": with it, Chromium sends `Origin: null` on the dashboard's own form posts.
  "referrer-policy": "same-origin",
  "cache-control": "no-store",
};

const asset = (file: string) => readFileSync(new URL(file, import.meta.url), "utf8");
const ASSETS: Record<string, { body: string; type: string }> = {
  "/assets/dashboard.css": { body: asset("./dashboard.css"), type: "text/css; charset=utf-8" },
  "/assets/live.js": { body: asset("./live.js"), type: "text/javascript; charset=utf-8" },
};

export type Dashboard = { handle(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> };

export function createDashboard({ store, executor, listenHost }: { store: StateFile; executor: Executor; listenHost: string }): Dashboard {
  // Embedded in every form; a page of another site cannot read it.
  const token = randomBytes(32).toString("hex");

  function sendPage(res: ServerResponse, status: number, title: string, body: SafeHtml, section?: Section) {
    res.writeHead(status, { ...HEADERS, "content-type": "text/html; charset=utf-8" });
    res.end(layout({ title, section, body }));
  }

  function sendError(res: ServerResponse, status: number, title: string, message: string, back = html`<a href="/">Back to the runs</a>`) {
    sendPage(res, status, title, html`<h1>${title}</h1><div class="error-page"><p>${message}</p><p>${back}</p></div>`);
  }

  function redirect(res: ServerResponse, location: string) {
    res.writeHead(303, { ...HEADERS, location });
    res.end();
  }

  function events(res: ServerResponse, query: URLSearchParams, status: number, form: SendForm) {
    sendPage(res, status, "Events", eventsPage(store.state, query, token, form), "events");
  }

  async function post(req: IncomingMessage, res: ServerResponse, url: URL) {
    const form = new URLSearchParams(await readText(req, MAX_FORM_BYTES));
    const refused = refuseCrossSite(req, token, form.get("token"));
    if (refused) return sendError(res, 403, "Refused", `This request did not come from the dashboard's own page: ${refused}.`);

    if (url.pathname === "/events") {
      const text = form.get("event") ?? "";
      try {
        const ids = executor.receive(parseEvents(text));
        return redirect(res, `/events?${new URLSearchParams(ids.map((id) => ["sent", id])).toString()}`);
      } catch (error) {
        if (!(error instanceof HttpError)) throw error;
        return events(res, new URLSearchParams(), error.status, { text, error: `Not sent: ${error.message}` });
      }
    }
    const action = /^\/runs\/([^/]+)\/(cancel|rerun)$/.exec(url.pathname);
    if (!action) return sendError(res, 404, "Not found", `Nothing answers POST ${url.pathname}.`);
    const [, runId, verb] = action;
    const back = html`<a href="/runs/${runId!}">Back to the run</a>`;
    try {
      if (verb === "cancel") {
        executor.cancel(runId!);
        return redirect(res, `/runs/${runId}`);
      }
      return redirect(res, `/runs/${executor.rerun(runId!).id}`);
    } catch (error) {
      if (!(error instanceof HttpError)) throw error;
      return sendError(res, error.status, error.status === 404 ? "No such run" : verb === "cancel" ? "Cannot cancel" : "Cannot rerun", error.message, back);
    }
  }

  function get(res: ServerResponse, url: URL) {
    const now = Date.now();
    const query = url.searchParams;
    const file = ASSETS[url.pathname];
    if (file) {
      res.writeHead(200, { ...HEADERS, "content-type": file.type });
      res.end(file.body);
      return;
    }
    if (url.pathname === "/") return sendPage(res, 200, "Runs", runsPage(store.state, store.functions(), query, now), "runs");
    if (url.pathname === "/events") return events(res, query, 200, { text: EXAMPLE_EVENT, sent: query.getAll("sent") });
    if (url.pathname === "/functions") return sendPage(res, 200, "Functions", functionsPage(store.state), "functions");
    const runId = /^\/runs\/([^/]+)$/.exec(url.pathname)?.[1];
    if (runId) {
      const run = store.state.runs.find((r) => r.id === decodeURIComponent(runId));
      if (!run) {
        return sendError(res, 404, "No such run", `There is no run ${decodeURIComponent(runId)}. The executor keeps every unfinished run and the latest 500 finished ones.`);
      }
      return sendPage(res, 200, `Run ${run.id.slice(0, 8)}`, runPage(store.state, store.functions(), run, executor.callsInFlight(run.id), token, now), "runs");
    }
    sendError(res, 404, "Not found", `There is no page at ${url.pathname}.`);
  }

  return {
    async handle(req, res, url) {
      const badHost = refuseHost(req, listenHost);
      if (badHost) return sendError(res, 403, "Refused", `${badHost}.`);
      if (req.method === "GET" || req.method === "HEAD") return get(res, url);
      if (req.method !== "POST") {
        res.setHeader("allow", "GET, HEAD, POST");
        return sendError(res, 405, "Method not allowed", `The dashboard does not answer ${req.method ?? "this method"}.`);
      }
      try {
        await post(req, res, url);
      } catch (error) {
        if (!(error instanceof HttpError)) throw error;
        sendError(res, error.status, "Refused", error.message);
      }
    },
  };
}
