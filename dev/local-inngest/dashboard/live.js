// Keeps the dashboard live: every 2 s it fetches the page again and swaps in its [data-live]
// region, keeping keyboard focus and the open <details>. Updates pause while the tab is hidden,
// while a text field in the region is being edited, or when the user presses "Pause updates".
const INTERVAL_MS = 2000;
let paused = false;

const toggle = document.querySelector("[data-live-toggle]");
if (toggle) {
  toggle.hidden = false;
  toggle.addEventListener("click", () => {
    paused = !paused;
    toggle.setAttribute("aria-pressed", String(paused));
    toggle.textContent = paused ? "Resume updates" : "Pause updates";
  });
}

async function refresh() {
  const current = document.querySelector("[data-live]");
  if (!current || paused || document.hidden) return;
  const response = await fetch(location.href, { headers: { accept: "text/html" }, cache: "no-store" });
  if (!response.ok) return;
  const next = new DOMParser().parseFromString(await response.text(), "text/html").querySelector("[data-live]");
  if (!next) return;
  const focused = current.contains(document.activeElement) ? document.activeElement : null;
  for (const open of current.querySelectorAll("details[open][id]")) next.querySelector(`#${CSS.escape(open.id)}`)?.setAttribute("open", "");
  current.replaceWith(document.adoptNode(next));
  if (focused?.id) document.getElementById(focused.id)?.focus({ preventScroll: true });
}

setInterval(() => {
  refresh().catch(() => {
    // The executor is restarting: the next tick tries again.
  });
}, INTERVAL_MS);
