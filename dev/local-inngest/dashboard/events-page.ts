/** `/events`: the events received, newest first, with their payloads and the runs each started; and a form to send one. */
import type { EventRecord, ExecutorState } from "../state";
import { json, time } from "./format";
import { html, type SafeHtml } from "./html";
import { hiddenToken, PAGE_SIZE, pageNumber, paging } from "./parts";

const PAYLOAD_LIMIT = 16 * 1024;
export const EXAMPLE_EVENT = '{\n  "name": "app/test.event",\n  "data": {}\n}';

export type SendForm = { text: string; error?: string; sent?: string[] };

function sendForm(token: string, form: SendForm): SafeHtml {
  return html`<section class="send" aria-labelledby="send-heading">
    <h2 id="send-heading">Send event</h2>
    ${form.sent?.length ? html`<p role="status" class="notice">Sent ${form.sent.length === 1 ? "event" : `${form.sent.length} events`} ${form.sent.map((id, i) => html`${i ? ", " : ""}<code>${id}</code>`)}.</p>` : ""}
    <form method="post" action="/events">
      ${hiddenToken(token)}
      <label for="event-json">Event as JSON: one event, or a list of events</label>
      <textarea id="event-json" name="event" rows="7" spellcheck="false"${form.error ? html` aria-invalid="true" aria-describedby="event-error"` : ""}>${form.text}</textarea>
      ${form.error ? html`<p id="event-error" class="field-error" role="alert">${form.error}</p>` : ""}
      <button type="submit">Send event</button>
    </form>
  </section>`;
}

function matches(record: EventRecord, search: string | undefined): boolean {
  if (!search) return true;
  return record.event.id.toLowerCase().startsWith(search) || record.event.name.toLowerCase() === search;
}

function row(record: EventRecord, i: number): SafeHtml {
  const payload = json(record.event, PAYLOAD_LIMIT);
  return html`<tr>
    <td>${time(record.receivedAt)}</td>
    <td>${record.event.name}</td>
    <td class="mono">${record.event.id}</td>
    <td>
      ${record.runs.map((id, n) => html`${n ? ", " : ""}<a class="mono" href="/runs/${id}">${id.slice(0, 8)}</a>`)}
      ${record.skipped.map((s) => html`<div class="muted">${s.functionId}: skipped, ${s.reason}</div>`)}
      ${record.runs.length === 0 && record.skipped.length === 0 ? html`<span class="muted">none</span>` : ""}
    </td>
    <td><details id="event-${i}-payload"><summary>Payload${payload.truncated ? " (truncated)" : ""}</summary><pre>${payload.text}</pre></details></td>
  </tr>`;
}

export function eventsPage(state: ExecutorState, query: URLSearchParams, token: string, form: SendForm): SafeHtml {
  const search = query.get("q")?.trim().toLowerCase() || undefined;
  const found = state.events.filter((e) => matches(e, search)).reverse();
  const page = pageNumber(query, found.length);
  const shown = found.slice((page - 1) * PAGE_SIZE, page * PAGE_SIZE);
  return html`<h1>Events</h1>
  ${sendForm(token, form)}
  <h2>Received</h2>
  <form class="filters" method="get" action="/events" role="search" aria-label="Find events">
    <label>Event id or name <input type="search" name="q" value="${query.get("q") ?? ""}" autocomplete="off" spellcheck="false"></label>
    <button type="submit">Find</button>
    ${search ? html`<a href="/events">Clear</a>` : ""}
  </form>
  <section data-live aria-label="Events list">
    ${
      shown.length === 0
        ? html`<p class="empty">${state.events.length === 0 ? "No events yet." : "No event matches."}</p>`
        : html`<table class="events">
      <caption class="sr-only">Events received, newest first</caption>
      <thead><tr><th scope="col">Received</th><th scope="col">Name</th><th scope="col">ID</th><th scope="col">Runs</th><th scope="col">Payload</th></tr></thead>
      <tbody>${shown.map((record) => row(record, state.events.indexOf(record)))}</tbody>
    </table>`
    }
    ${paging("/events", query, page, found.length, "Events")}
  </section>`;
}
