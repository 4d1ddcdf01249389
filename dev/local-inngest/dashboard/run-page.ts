/** `/runs/:id`: one run's steps as a timeline, its trigger event, its output or error, and Cancel or Rerun. */
import { isActive } from "../executor";
import type { ExecutorState, FunctionConfig, Run, SerializedError } from "../state";
import { duration, json, time } from "./format";
import { html, type SafeHtml } from "./html";
import { functionLabel, hiddenToken, invokingRunId, runDuration, statusBadge, trigger } from "./parts";
import { runTimeline, type StepView } from "./run-timeline";

/** Step outputs are cut at a few KB; the run's own event and result at more. */
const STEP_OUTPUT_LIMIT = 4 * 1024;
const PAYLOAD_LIMIT = 64 * 1024;

function errorBlock(error: SerializedError, id: string): SafeHtml {
  return html`<div class="error">
    <p><strong>${error.name}</strong>: ${error.message}</p>
    ${error.stack ? html`<details id="${id}"><summary>Stack</summary><pre>${error.stack}</pre></details>` : ""}
  </div>`;
}

function asError(value: unknown): SerializedError {
  const { name, message, stack } = (value ?? {}) as Record<string, unknown>;
  return { name: typeof name === "string" ? name : "Error", message: typeof message === "string" ? message : JSON.stringify(value), ...(typeof stack === "string" ? { stack } : {}) };
}

function bar(step: StepView, runStart: number, runEnd: number): SafeHtml {
  const total = Math.max(1, runEnd - runStart);
  const x = Math.min(100, Math.max(0, ((step.start - runStart) / total) * 100));
  const width = Math.max(0.5, Math.min(100 - x, (((step.end ?? runEnd) - step.start) / total) * 100));
  return html`<svg class="bar" viewBox="0 0 100 10" preserveAspectRatio="none" aria-hidden="true" focusable="false"><rect class="tone-${step.tone}" x="${x.toFixed(2)}" y="0" width="${width.toFixed(2)}" height="10"></rect></svg>`;
}

function stepStatus(step: StepView): SafeHtml {
  const detail = step.detail ? html` <span class="muted">${step.detail}</span>` : "";
  const until = step.until ? html` until ${time(step.until)}` : "";
  return html`<span class="tone tone-${step.tone}">${step.status}</span>${until}${detail}`;
}

function timeline(run: Run, steps: StepView[], now: number): SafeHtml {
  if (steps.length === 0) return html`<p class="empty">${isActive(run) ? "No step has run yet." : "The run ended before any step ran."}</p>`;
  const runStart = Date.parse(run.startedAt ?? run.createdAt);
  const runEnd = run.endedAt ? Date.parse(run.endedAt) : now;
  return html`<table class="steps">
    <caption class="sr-only">Steps in the order they started</caption>
    <thead><tr><th scope="col">Step</th><th scope="col">Status</th><th scope="col" class="num">Attempts</th><th scope="col" class="num">Duration</th><th scope="col"><span class="sr-only">Timeline</span></th></tr></thead>
    ${steps.map((step, i) => {
      const output = step.output ? json(step.output.value, STEP_OUTPUT_LIMIT) : undefined;
      const details = step.error || (output && step.output?.value !== null);
      return html`<tbody class="step">
      <tr>
        <th scope="row">${step.name}</th>
        <td>${stepStatus(step)}</td>
        <td class="num">${step.attempts}</td>
        <td class="num">${duration((step.end ?? now) - step.start)}</td>
        <td class="timeline">${bar(step, runStart, runEnd)}</td>
      </tr>
      ${
        details
          ? html`<tr class="step-details"><td colspan="5">
        ${step.error ? errorBlock(step.error, `step-${i}-stack`) : ""}
        ${output && step.output?.value !== null ? html`<details id="step-${i}-output"><summary>Output${output.truncated ? " (truncated)" : ""}</summary><pre>${output.text}</pre></details>` : ""}
      </td></tr>`
          : ""
      }
      </tbody>`;
    })}
  </table>`;
}

function actions(run: Run, token: string): SafeHtml {
  if (isActive(run)) {
    return html`<form method="post" action="/runs/${run.id}/cancel" class="actions">${hiddenToken(token)}<button id="cancel-run" type="submit" class="danger">Cancel run</button>
      <span class="muted">Cancels it as a <code>cancelOn</code> event would: it ends Cancelled and emits <code>inngest/function.cancelled</code>.</span></form>`;
  }
  return html`<form method="post" action="/runs/${run.id}/rerun" class="actions">${hiddenToken(token)}<button id="rerun-run" type="submit">Rerun</button>
    <span class="muted">Starts a new run with the same event, as Inngest's Rerun does (idempotency and rate limits do not stop it).</span></form>`;
}

export function runPage(state: ExecutorState, functions: FunctionConfig[], run: Run, inFlight: Map<string, number>, token: string, now: number): SafeHtml {
  const reruns = state.runs.filter((r) => r.rerunOf === run.id);
  const parent = invokingRunId(run);
  const invoked = state.runs.filter((r) => invokingRunId(r) === run.id);
  const event = json(run.event, PAYLOAD_LIMIT);
  const runLinks = (runs: Run[]) => runs.map((r, i) => html`${i > 0 ? ", " : ""}<a class="mono" href="/runs/${r.id}">${r.id.slice(0, 8)}</a> ${statusBadge(r.status)}`);
  return html`<h1>Run <code>${run.id}</code></h1>
  <section data-live aria-label="Run">
    <dl class="summary">
      <div><dt>Function</dt><dd>${functionLabel(run.functionId, functions)}</dd></div>
      <div><dt>Status</dt><dd>${statusBadge(run.status)}</dd></div>
      <div><dt>Trigger</dt><dd>${trigger(run)} <span class="muted mono">${run.event.id ?? ""}</span></dd></div>
      <div><dt>Queued</dt><dd>${time(run.createdAt)}</dd></div>
      <div><dt>Started</dt><dd>${time(run.startedAt)}</dd></div>
      <div><dt>Ended</dt><dd>${time(run.endedAt)}</dd></div>
      <div><dt>Duration</dt><dd>${duration(runDuration(run, now))}</dd></div>
      <div><dt>Attempt</dt><dd>${run.attempt + 1}</dd></div>
      ${run.rerunOf ? html`<div><dt>Rerun of</dt><dd><a class="mono" href="/runs/${run.rerunOf}">${run.rerunOf.slice(0, 8)}</a></dd></div>` : ""}
      ${reruns.length ? html`<div><dt>Reruns</dt><dd>${runLinks(reruns)}</dd></div>` : ""}
      ${parent ? html`<div><dt>Invoked by</dt><dd><a class="mono" href="/runs/${parent}">${parent.slice(0, 8)}</a></dd></div>` : ""}
      ${invoked.length ? html`<div><dt>Invoked</dt><dd>${runLinks(invoked)}</dd></div>` : ""}
    </dl>
    ${actions(run, token)}
    <h2>Steps</h2>
    ${timeline(run, runTimeline(run, inFlight, now), now)}
    ${
      run.status === "Completed"
        ? html`<h2>Output</h2><pre class="payload">${json(run.output ?? null, PAYLOAD_LIMIT).text}</pre>`
        : run.error !== undefined
          ? html`<h2>Error</h2>${errorBlock(asError(run.error), "run-stack")}`
          : ""
    }
  </section>
  <section aria-labelledby="trigger-event">
    <h2 id="trigger-event">Trigger event</h2>
    <pre class="payload">${event.text}</pre>
  </section>`;
}
