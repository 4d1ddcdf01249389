/** How the dashboard writes times, durations and JSON. */
import { html, type SafeHtml } from "./html";

const pad = (n: number, width = 2) => String(n).padStart(width, "0");

/** A moment in the executor's local time (it runs on the developer's machine), with its ISO form for machines. */
export function time(at: string | number | undefined): SafeHtml {
  if (at === undefined) return html`—`;
  const d = new Date(at);
  const text = `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
  return html`<time datetime="${d.toISOString()}">${text}</time>`;
}

export function duration(ms: number | undefined): string {
  if (ms === undefined || !Number.isFinite(ms)) return "—";
  if (ms < 1000) return `${Math.max(0, Math.round(ms))} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  const minutes = Math.floor(ms / 60_000);
  if (minutes < 60) return `${minutes} min ${Math.round((ms % 60_000) / 1000)} s`;
  return `${Math.floor(minutes / 60)} h ${minutes % 60} min`;
}

/** Pretty JSON, cut at `limit` characters with a note saying how much there was. */
export function json(value: unknown, limit: number): { text: string; truncated: boolean } {
  const full = JSON.stringify(value, null, 2) ?? "undefined";
  if (full.length <= limit) return { text: full, truncated: false };
  return { text: `${full.slice(0, limit)}\n… truncated: ${full.length.toLocaleString("en")} characters in all`, truncated: true };
}
