/** `/functions`: each synced function with its triggers and the options the executor applies, and when its app last synced. */
import type { ExecutorState, FunctionConfig } from "../state";
import { time } from "./format";
import { html, type SafeHtml } from "./html";

const none = html`<span class="muted">none</span>`;

function list(items: SafeHtml[]): SafeHtml {
  return items.length === 0 ? none : html`<ul class="plain">${items.map((item) => html`<li>${item}</li>`)}</ul>`;
}

function card(fn: FunctionConfig, app: string, syncedAt: string | undefined): SafeHtml {
  const { throttle, rateLimit } = fn;
  return html`<article class="function" aria-labelledby="fn-${fn.id}">
    <h2 id="fn-${fn.id}">${fn.name ?? fn.id} <span class="muted mono">${fn.id}</span></h2>
    <dl class="summary">
      <div><dt>Triggers</dt><dd>${list(fn.triggers.map((t) => (t.cron ? html`cron <code>${t.cron}</code>` : html`event <code>${t.event ?? ""}</code>${t.expression ? html` if <code>${t.expression}</code>` : ""}`)))}</dd></div>
      <div><dt>Retries</dt><dd>${fn.attempts - 1}</dd></div>
      <div><dt>Concurrency</dt><dd>${list(fn.concurrency.map((c) => html`${c.limit}${c.key ? html` per <code>${c.key}</code>` : ""}${c.scope ? ` (${c.scope} scope)` : ""}`))}</dd></div>
      <div><dt>Timeouts</dt><dd>${fn.timeouts.start || fn.timeouts.finish ? html`${fn.timeouts.start ? `start ${fn.timeouts.start}` : ""}${fn.timeouts.start && fn.timeouts.finish ? ", " : ""}${fn.timeouts.finish ? `finish ${fn.timeouts.finish}` : ""}` : none}</dd></div>
      <div><dt>Cancel on</dt><dd>${list(fn.cancel.map((c) => html`<code>${c.event}</code>${c.if ? html` if <code>${c.if}</code>` : ""}${c.timeout ? ` within ${c.timeout}` : ""}`))}</dd></div>
      <div><dt>Idempotency</dt><dd>${fn.idempotency ? html`<code>${fn.idempotency}</code> (24 h)` : none}</dd></div>
      <div><dt>Throttle</dt><dd>${throttle ? html`${throttle.limit} per ${throttle.period}${throttle.burst ? `, burst ${throttle.burst}` : ""}${throttle.key ? html` per <code>${throttle.key}</code>` : ""}` : none}</dd></div>
      <div><dt>Rate limit</dt><dd>${rateLimit ? html`${rateLimit.limit} per ${rateLimit.period}${rateLimit.key ? html` per <code>${rateLimit.key}</code>` : ""}` : none}</dd></div>
      <div><dt>App</dt><dd><span class="mono">${app}</span>, synced ${time(syncedAt)}</dd></div>
    </dl>
  </article>`;
}

export function functionsPage(state: ExecutorState): SafeHtml {
  const cards = Object.entries(state.apps).flatMap(([app, fns]) => fns.map((fn) => card(fn, app, state.syncedAt[app])));
  return html`<h1>Functions</h1>
  <section data-live aria-label="Functions list">
    ${cards.length ? cards : html`<p class="empty">No app has synced yet. An app syncs when it starts, or with <code>curl -X PUT http://&lt;app&gt;/api/inngest</code>.</p>`}
  </section>`;
}
