/** `/`: the runs the executor keeps, newest first, filtered by status and function, searched by run or event id. */
import type { ExecutorState, FunctionConfig, Run, RunStatus } from "../state";
import { duration, time } from "./format";
import { html, type SafeHtml } from "./html";
import { functionLabel, PAGE_SIZE, pageNumber, paging, runDuration, statusBadge, trigger } from "./parts";

const STATUSES: RunStatus[] = ["Queued", "Running", "Waiting", "Completed", "Failed", "Cancelled"];

function matches(run: Run, query: URLSearchParams): boolean {
  const status = query.get("status");
  const fn = query.get("function");
  const search = query.get("q")?.trim().toLowerCase();
  if (status && run.status !== status) return false;
  if (fn && run.functionId !== fn) return false;
  if (search && !run.id.toLowerCase().startsWith(search) && !(run.event.id ?? "").toLowerCase().startsWith(search)) return false;
  return true;
}

function row(run: Run, functions: FunctionConfig[], now: number): SafeHtml {
  return html`<tr>
    <td><a id="run-${run.id}" class="mono" href="/runs/${run.id}">${run.id.slice(0, 8)}</a></td>
    <td>${functionLabel(run.functionId, functions)}</td>
    <td>${statusBadge(run.status)}</td>
    <td>${trigger(run)}</td>
    <td>${run.startedAt ? time(run.startedAt) : html`<span class="muted">queued ${time(run.createdAt)}</span>`}</td>
    <td class="num">${duration(runDuration(run, now))}</td>
    <td class="num">${run.attempt + 1}</td>
  </tr>`;
}

export function runsPage(state: ExecutorState, functions: FunctionConfig[], query: URLSearchParams, now: number): SafeHtml {
  const ids = [...new Set([...functions.map((f) => f.id), ...state.runs.map((r) => r.functionId)])].sort();
  const found = state.runs.filter((r) => matches(r, query)).reverse();
  const page = pageNumber(query, found.length);
  const shown = found.slice((page - 1) * PAGE_SIZE, page * PAGE_SIZE);
  const option = (value: string, selected: string | null, label = value) => html`<option value="${value}"${value === (selected ?? "") ? html` selected` : ""}>${label}</option>`;
  return html`<h1>Runs</h1>
  <form class="filters" method="get" action="/" role="search" aria-label="Filter runs">
    <label>Status <select name="status">${option("", query.get("status"), "Any")}${STATUSES.map((s) => option(s, query.get("status")))}</select></label>
    <label>Function <select name="function">${option("", query.get("function"), "Any")}${ids.map((id) => option(id, query.get("function")))}</select></label>
    <label>Run or event id <input type="search" name="q" value="${query.get("q") ?? ""}" autocomplete="off" spellcheck="false"></label>
    <button type="submit">Filter</button>
    ${query.toString() ? html`<a href="/">Clear</a>` : ""}
  </form>
  <section data-live aria-label="Runs list">
    ${
      shown.length === 0
        ? html`<p class="empty">${state.runs.length === 0 ? "No runs yet: send an event, or wait for a cron." : "No run matches these filters."}</p>`
        : html`<table class="runs">
      <caption class="sr-only">Runs, newest first</caption>
      <thead><tr><th scope="col">Run</th><th scope="col">Function</th><th scope="col">Status</th><th scope="col">Trigger</th><th scope="col">Started</th><th scope="col" class="num">Duration</th><th scope="col" class="num">Attempt</th></tr></thead>
      <tbody>${shown.map((run) => row(run, functions, now))}</tbody>
    </table>`
    }
    ${paging("/", query, page, found.length, "Runs")}
  </section>`;
}
