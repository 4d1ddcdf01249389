/** The page around every dashboard view: navigation, the live-update switch, and the warning that it has no authentication. */
import { html, type SafeHtml } from "./html";

export type Section = "runs" | "events" | "functions";

const sections: { id: Section; href: string; label: string }[] = [
  { id: "runs", href: "/", label: "Runs" },
  { id: "events", href: "/events", label: "Events" },
  { id: "functions", href: "/functions", label: "Functions" },
];

export function layout({ title, section, body }: { title: string; section?: Section; body: SafeHtml }): string {
  return html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${title} · Local Inngest executor</title>
<link rel="stylesheet" href="/assets/dashboard.css">
<script src="/assets/live.js" defer></script>
</head>
<body>
<a class="skip" href="#main">Skip to content</a>
<header class="top">
  <p class="brand">Local Inngest executor</p>
  <nav aria-label="Dashboard">
    <ul>
      ${sections.map((s) => html`<li><a href="${s.href}"${s.id === section ? html` aria-current="page"` : ""}>${s.label}</a></li>`)}
    </ul>
  </nav>
  <button type="button" class="live-toggle" data-live-toggle aria-pressed="false" hidden>Pause updates</button>
</header>
<main id="main" tabindex="-1">
${body}
</main>
<footer class="bottom">
  <p>For development and tests only. This dashboard has <strong>no authentication</strong>: never expose its address beyond this machine.</p>
</footer>
</body>
</html>
`.text;
}
