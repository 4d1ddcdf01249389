/** Pieces that several dashboard pages show: status badges, a run's trigger and duration, paging links, forms' token. */
import { FUNCTION_INVOKED } from "../executor";
import { SCHEDULED_EVENT } from "../cron";
import type { FunctionConfig, Run } from "../state";
import { html, type SafeHtml } from "./html";

export const PAGE_SIZE = 50;

/** From the first call to the end, or to now while it runs. */
export function runDuration(run: Run, now: number): number | undefined {
  return run.startedAt ? (run.endedAt ? Date.parse(run.endedAt) : now) - Date.parse(run.startedAt) : undefined;
}

export function statusBadge(status: string): SafeHtml {
  return html`<span class="status status-${status.toLowerCase()}">${status}</span>`;
}

export function functionLabel(functionId: string, functions: FunctionConfig[]): SafeHtml {
  const fn = functions.find((f) => f.id === functionId);
  return fn?.name ? html`${fn.name} <span class="muted mono fn-id">${functionId}</span>` : html`<span class="mono">${functionId}</span>`;
}

/** The run that invoked this one, from the `inngest/function.invoked` event it started with. */
export function invokingRunId(run: Run): string | undefined {
  if (run.event.name !== FUNCTION_INVOKED) return undefined;
  const meta = run.event.data._inngest as { source_run_id?: unknown } | undefined;
  return typeof meta?.source_run_id === "string" ? meta.source_run_id : undefined;
}

export function trigger(run: Run): SafeHtml {
  if (run.event.name === SCHEDULED_EVENT) return html`cron <code>${String(run.event.data.cron)}</code>`;
  const parent = invokingRunId(run);
  if (parent) return html`invoked by <a href="/runs/${parent}" class="mono">${parent.slice(0, 8)}</a>`;
  return html`<a href="/events?q=${encodeURIComponent(run.event.id ?? "")}">${run.event.name}</a>`;
}

export function hiddenToken(token: string): SafeHtml {
  return html`<input type="hidden" name="token" value="${token}">`;
}

/** "Newer" and "Older" links over a list, keeping the page's filters. */
export function paging(path: string, query: URLSearchParams, page: number, total: number, noun: string): SafeHtml {
  const pages = Math.max(1, Math.ceil(total / PAGE_SIZE));
  const link = (to: number, label: string, rel: string) => {
    const params = new URLSearchParams(query);
    params.set("page", String(to));
    return html`<a href="${path}?${params.toString()}" rel="${rel}">${label}</a>`;
  };
  const first = total === 0 ? 0 : (page - 1) * PAGE_SIZE + 1;
  const last = Math.min(total, page * PAGE_SIZE);
  return html`<nav class="paging" aria-label="Pages of ${noun}">
    <p>${noun} ${first}–${last} of ${total}</p>
    ${page > 1 ? link(page - 1, "Newer", "prev") : ""}
    ${page < pages ? link(page + 1, "Older", "next") : ""}
  </nav>`;
}

export function pageNumber(query: URLSearchParams, total: number): number {
  const requested = Number(query.get("page") ?? 1);
  const pages = Math.max(1, Math.ceil(total / PAGE_SIZE));
  return Number.isInteger(requested) && requested >= 1 ? Math.min(requested, pages) : 1;
}
