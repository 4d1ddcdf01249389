import { expect, type Page, test } from "@playwright/test";

import { exportsList, status } from "./support/exports";
import { DEMO_TEAM_ID, signInAsDemo } from "./support/session";

/** "Slow query (30 s)" of the demo seed (prisma/demo/sources.ts). */
const SLOW_METRIC_ID = "seed_metric_slow";
const EXPORTS = 6;

type StreamLog = { url: string; closed: boolean; messages: string[] };

/**
 * Records every EventSource the page opens (tRPC's httpSubscriptionLink streams through it):
 * its URL, whether it was closed, and each message's data, so the test can tell what reached
 * the page through a stream rather than through the list's poll.
 */
function recordStreams(page: Page) {
  return page.addInitScript(() => {
    const streams: StreamLog[] = [];
    (window as unknown as { __streams: StreamLog[] }).__streams = streams;
    const Native = window.EventSource;
    window.EventSource = class extends Native {
      private readonly log: StreamLog;
      constructor(url: string | URL, init?: EventSourceInit) {
        super(url, init);
        const log: StreamLog = { url: this.url, closed: false, messages: [] };
        this.log = log;
        streams.push(log);
        this.addEventListener("message", (event) => log.messages.push(String((event as MessageEvent).data)));
      }
      close() {
        this.log.closed = true;
        super.close();
      }
    };
  });
}

const streamsOf = (page: Page) => page.evaluate(() => (window as unknown as { __streams: StreamLog[] }).__streams);

/** Every job (an object with an id and a status) anywhere in a message, whatever envelope it came in. */
function jobsIn(value: unknown, found: { id: string; status: string }[] = []): { id: string; status: string }[] {
  if (!value || typeof value !== "object") return found;
  const record = value as Record<string, unknown>;
  if (typeof record.id === "string" && typeof record.status === "string") found.push({ id: record.id, status: record.status });
  for (const inner of Object.values(record)) jobsIn(inner, found);
  return found;
}

/** The statuses each job had in the messages of the page's team streams, in order. */
async function streamedStatuses(page: Page): Promise<Map<string, string[]>> {
  const statuses = new Map<string, string[]>();
  for (const stream of (await streamsOf(page)).filter((s) => s.url.includes("exports.onTeamProgress"))) {
    for (const message of stream.messages) {
      for (const job of jobsIn(JSON.parse(message))) statuses.set(job.id, [...(statuses.get(job.id) ?? []), job.status]);
    }
  }
  return statuses;
}

/**
 * Starts the metric's export as the export center's dialog does (exports.start, with a request
 * id of its own), from the page itself, so that six start within seconds on a loaded machine;
 * e2e/metric-export.spec.ts covers the dialog.
 */
async function startExport(page: Page): Promise<string> {
  return page.evaluate(async ({ teamId, metricId }) => {
    const answer = await fetch("/api/trpc/exports.start", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ json: { teamId, target: { kind: "metric", metricId }, requestId: crypto.randomUUID() } }),
    });
    const body = (await answer.json()) as { result?: { data: { json: { exportId: string } } } };
    if (!body.result) throw new Error(`exports.start answered ${answer.status}: ${JSON.stringify(body)}`);
    return body.result.data.json.exportId;
  }, { teamId: DEMO_TEAM_ID, metricId: SLOW_METRIC_ID });
}

// Tall enough that the six rows sit above the toasts, which stay while the pointer is on them.
test.use({ viewport: { width: 1280, height: 1600 } });

test("six exports at once all move live on the page's one team stream", async ({ page }) => {
  test.setTimeout(150_000);
  await recordStreams(page);
  await signInAsDemo(page);

  const ids: string[] = [];
  for (let i = 0; i < EXPORTS; i++) ids.push(await startExport(page));
  // Newest first: rows 0–5 are the exports started last to first.
  const rows = exportsList(page).getByRole("listitem");
  const row = (id: string) => rows.nth(EXPORTS - 1 - ids.indexOf(id));
  const [first, second, third, ...queued] = ids as [string, string, string, ...string[]];

  // A team runs three metric exports at once; the other three wait their turn.
  for (const id of [first, second, third]) await expect(status(row(id), "Processing")).toBeVisible({ timeout: 20_000 });
  for (const id of queued) await expect(status(row(id), "Pending")).toBeVisible();

  // Cancelling the running three lets the queued three start, each seen without a reload.
  for (const id of [first, second, third]) {
    await row(id).getByRole("button", { name: "Cancel" }).click();
    await expect(status(row(id), "Cancelled")).toBeVisible();
  }
  for (const id of queued) await expect(status(row(id), "Processing")).toBeVisible({ timeout: 30_000 });
  for (const id of queued) {
    await row(id).getByRole("button", { name: "Cancel" }).click();
    await expect(status(row(id), "Cancelled")).toBeVisible();
  }

  // Every one of the six changes reached the page through the stream, not only the list's poll.
  await expect
    .poll(async () => {
      const streamed = await streamedStatuses(page);
      return ids.map((id) => ["PROCESSING", "CANCELLED"].every((s) => streamed.get(id)?.includes(s)));
    }, { message: "each export's Processing and Cancelled arrived on the team stream" })
    .toEqual(ids.map(() => true));
  const streams = await streamsOf(page);
  expect(streams.filter((s) => s.url.includes("exports.onProgress")), "no per-job stream").toEqual([]);
  expect(streams.map((s) => [new URL(s.url).pathname, s.closed]), "one stream for the whole page, open all along").toEqual([["/api/trpc/exports.onTeamProgress", false]]);
});
