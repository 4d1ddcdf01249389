/**
 * The executor's dashboard over HTTP, with runs made by the real SDK: the runs list (order,
 * filters, search, pages), a run's steps and payload (shown as text, never as markup), the
 * 404 page, Cancel and Rerun, the "Send event" form and the event API with bad input, the
 * functions page, and the refusal of requests from other sites. Chromium drives it in
 * e2e/engine-dashboard.spec.ts.
 */
import { request } from "node:http";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";

import { Inngest, NonRetriableError } from "inngest";
import { serve } from "inngest/node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

import { type LocalInngest, type Run, startLocalInngest } from "../index";
import { MAX_EVENT_BYTES } from "../incoming";
import { newEventKey, newSigningKey } from "../signature";
import { freePort, serveApp, until } from "../test-support";

const dir = mkdtempSync(path.join(tmpdir(), "local-inngest-dashboard-"));
const port = await freePort();
const keys = { signingKey: newSigningKey("test"), eventKey: newEventKey() };
const client = new Inngest({ id: "dashboard-test", isDev: false, baseUrl: `http://127.0.0.1:${port}`, ...keys });
const counts = new Map<string, number>();
let executor: LocalInngest;
let app: Awaited<ReturnType<typeof serveApp>>;

const functions = [
  client.createFunction({ id: "quick", triggers: [{ event: "test/quick" }] }, () => "quick"),
  client.createFunction({ id: "greet", triggers: [{ event: "test/greet" }] }, async ({ event, step }) => {
    await step.run("say hello", () => ({ greeting: `hello ${String(event.data.name)}` }));
    await step.run("big output", () => "x".repeat(10_000));
    return { done: true };
  }),
  client.createFunction({ id: "slow", triggers: [{ event: "test/slow" }] }, async ({ step }) => {
    await step.sleep("long nap", "60s");
  }),
  client.createFunction({ id: "broken", retries: 0, triggers: [{ event: "test/broken" }] }, async ({ step }) => {
    await step.run("explode", () => {
      throw new NonRetriableError("it <b>broke</b>");
    });
  }),
  client.createFunction({ id: "unique", idempotency: "event.data.key", concurrency: { limit: 2, key: "event.data.key" }, triggers: [{ event: "test/unique" }] }, async ({ event, step }) =>
    step.run("count", () => counts.set(String(event.data.key), (counts.get(String(event.data.key)) ?? 0) + 1).get(String(event.data.key))),
  ),
];

const runsOf = (fn: string) => executor.runs().filter((r) => r.functionId === `dashboard-test-${fn}`);
const ended = (runs: Run[]) => runs.length > 0 && runs.every((r) => ["Completed", "Failed", "Cancelled"].includes(r.status));

async function page(pathAndQuery: string) {
  const response = await fetch(`${executor.url}${pathAndQuery}`);
  return { status: response.status, headers: response.headers, text: await response.text() };
}

function tokenIn(html: string): string {
  return /name="token" value="([0-9a-f]+)"/.exec(html)![1]!;
}

/** A form post as the browser sends it from the dashboard's own page. */
async function post(pathname: string, fields: Record<string, string>, headers: Record<string, string> = {}) {
  const response = await fetch(`${executor.url}${pathname}`, {
    method: "POST",
    redirect: "manual",
    headers: { "content-type": "application/x-www-form-urlencoded", origin: executor.url, "sec-fetch-site": "same-origin", ...headers },
    body: new URLSearchParams(fields).toString(),
  });
  return { status: response.status, location: response.headers.get("location"), text: await response.text() };
}

/** A GET with a Host header of the test's choosing, which fetch does not allow. */
function getWithHost(host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request({ host: "127.0.0.1", port, path: "/", headers: { host } }, (res) => {
      res.resume();
      resolve(res.statusCode!);
    });
    req.on("error", reject);
    req.end();
  });
}

async function runPageToken(runId: string) {
  return tokenIn((await page(`/runs/${runId}`)).text);
}

beforeAll(async () => {
  app = await serveApp(serve({ client, functions, servePath: "/api/inngest" }));
  executor = await startLocalInngest({ port, appUrls: [app.url], dataDir: path.join(dir, "state"), ...keys, backoffScale: 0.005, log: () => {} });
  await executor.sync();
});

afterAll(async () => {
  await executor.close();
  await app.close();
  rmSync(dir, { recursive: true, force: true });
});

describe("the runs list", () => {
  it("lists runs newest first, filters them by status and function, finds one by run or event id, and pages through them", async () => {
    const { ids } = await client.send(Array.from({ length: 51 }, (_, i) => ({ name: "test/quick", data: { n: i } })));
    const runs = await until(async () => runsOf("quick"), (r) => r.length === 51 && ended(r));

    const first = await page("/?function=dashboard-test-quick");
    expect(first.status).toBe(200);
    expect(first.headers.get("content-type")).toBe("text/html; charset=utf-8");
    expect(first.text).toContain("Runs 1–50 of 51");
    const listed = [...first.text.matchAll(/id="run-([0-9a-f-]{36})"/g)].map((m) => m[1]);
    expect(listed).toEqual(runs.slice(1).reverse().map((r) => r.id));
    expect(first.text).toMatch(/<a href="\/\?function=dashboard-test-quick&amp;page=2" rel="next">Older<\/a>/);

    const second = await page("/?function=dashboard-test-quick&page=2");
    expect(second.text).toContain("Runs 51–51 of 51");
    expect([...second.text.matchAll(/id="run-([0-9a-f-]{36})"/g)].map((m) => m[1])).toEqual([runs[0]!.id]);

    expect((await page("/?function=dashboard-test-quick&status=Failed")).text).toContain("No run matches these filters.");
    const byRun = await page(`/?q=${runs[7]!.id.slice(0, 8)}`);
    expect([...byRun.text.matchAll(/id="run-([0-9a-f-]{36})"/g)].map((m) => m[1])).toEqual([runs[7]!.id]);
    const byEvent = await page(`/?q=${ids[3]}`);
    expect([...byEvent.text.matchAll(/id="run-([0-9a-f-]{36})"/g)].map((m) => m[1])).toEqual([runs.find((r) => r.event.id === ids[3])!.id]);
  });

  it("marks the region that updates live, and serves its script and stylesheet", async () => {
    const list = await page("/");
    expect(list.text).toContain('<section data-live aria-label="Runs list">');
    expect(list.text).toContain('<script src="/assets/live.js" defer></script>');
    expect(list.headers.get("content-security-policy")).toContain("script-src 'self'");
    // With "no-referrer", Chromium would send `Origin: null` on the dashboard's own forms, which are then refused.
    expect(list.headers.get("referrer-policy")).toBe("same-origin");
    const script = await page("/assets/live.js");
    expect(script.headers.get("content-type")).toBe("text/javascript; charset=utf-8");
    expect(script.text).toContain("const INTERVAL_MS = 2000;");
    expect((await page("/assets/dashboard.css")).headers.get("content-type")).toBe("text/css; charset=utf-8");
  });
});

describe("a run's page", () => {
  it("shows the steps with status, attempts and duration, the payload as text, and cuts a long output", async () => {
    const { ids } = await client.send({ name: "test/greet", data: { name: "<script>alert('x')</script>" } });
    const [run] = await until(async () => runsOf("greet").filter((r) => r.event.id === ids[0]), ended);
    const { status, headers, text } = await page(`/runs/${run!.id}`);
    expect(status).toBe(200);
    expect(headers.get("content-security-policy")).toBe(
      "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
    );
    const steps = [...text.matchAll(/<th scope="row">([^<]+)<\/th>\s*<td><span class="tone tone-(\w+)">(\w+)<\/span><\/td>\s*<td class="num">(\d+)<\/td>\s*<td class="num">(\d+ ms|[\d.]+ s)<\/td>/g)];
    expect(steps.map((m) => [m[1], m[2], m[3], m[4]])).toEqual([
      ["say hello", "ok", "ok", "1"],
      ["big output", "ok", "ok", "1"],
    ]);
    expect(text).toContain("Output (truncated)");
    expect(text).toContain("… truncated: 10,002 characters in all");
    expect(text).toContain("&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;");
    expect(text).not.toContain("<script>alert(");
    expect(text).toMatch(/<h2>Output<\/h2><pre class="payload">\{\n {2}&quot;done&quot;: true\n\}<\/pre>/);
    expect(text).toContain('<button id="rerun-run" type="submit">Rerun</button>');
  });

  it("answers an unknown run id with a 404 page", async () => {
    const { status, headers, text } = await page("/runs/no-such-run");
    expect(status).toBe(404);
    expect(headers.get("content-type")).toBe("text/html; charset=utf-8");
    expect(text).toContain("<h1>No such run</h1>");
    expect(text).toContain("There is no run no-such-run.");
  });

  it("shows a failed step's error as text, with its stack", async () => {
    await client.send({ name: "test/broken", data: {} });
    const [run] = await until(async () => runsOf("broken"), ended);
    expect(run!.status).toBe("Failed");
    const { text } = await page(`/runs/${run!.id}`);
    expect(text).toContain("<strong>NonRetriableError</strong>: it &lt;b&gt;broke&lt;/b&gt;");
    expect(text).toMatch(/<summary>Stack<\/summary><pre>NonRetriableError: it &lt;b&gt;broke&lt;\/b&gt;\n\s+at /);
  });
});

describe("Cancel and Rerun", () => {
  it("cancels a running run as cancelOn would: Cancelled, and inngest/function.cancelled is sent", async () => {
    const { ids } = await client.send({ name: "test/slow", data: {} });
    const [run] = await until(async () => runsOf("slow").filter((r) => r.event.id === ids[0]), (r) => r[0]?.status === "Waiting");
    const cancelled = await post(`/runs/${run!.id}/cancel`, { token: await runPageToken(run!.id) });
    expect(cancelled).toMatchObject({ status: 303, location: `/runs/${run!.id}` });
    expect(run).toMatchObject({ status: "Cancelled", error: { name: "Cancelled", message: "cancelled from the dashboard" } });
    const events = await page("/events?q=inngest/function.cancelled");
    expect(events.text).toContain(`&quot;run_id&quot;: &quot;${run!.id}&quot;`);

    const again = await post(`/runs/${run!.id}/cancel`, { token: await runPageToken(run!.id) });
    expect(again.status).toBe(409);
    expect(again.text).toContain("the run has already ended (Cancelled)");
  });

  it("reruns an ended run with the same event, past its idempotency key, and refuses to rerun one still running", async () => {
    const { ids } = await client.send({ name: "test/unique", data: { key: "u1" } });
    const [original] = await until(async () => runsOf("unique"), ended);
    await client.send({ name: "test/unique", data: { key: "u1" } });
    const events = await page("/events?q=test/unique");
    expect(events.text).toContain("dashboard-test-unique: skipped, idempotency key already used");
    expect(runsOf("unique")).toHaveLength(1);

    const rerun = await post(`/runs/${original!.id}/rerun`, { token: await runPageToken(original!.id) });
    expect(rerun.status).toBe(303);
    const rerunId = /^\/runs\/([0-9a-f-]{36})$/.exec(rerun.location ?? "")![1]!;
    const [again] = await until(async () => runsOf("unique").filter((r) => r.id === rerunId), ended);
    expect(again).toMatchObject({ status: "Completed", output: 2, rerunOf: original!.id, event: { id: ids[0] } });
    expect((await page(`/runs/${rerunId}`)).text).toContain(`<dt>Rerun of</dt><dd><a class="mono" href="/runs/${original!.id}">`);

    const { ids: slowIds } = await client.send({ name: "test/slow", data: {} });
    const [running] = await until(async () => runsOf("slow").filter((r) => r.event.id === slowIds[0]), (r) => r[0]?.status === "Waiting");
    const refused = await post(`/runs/${running!.id}/rerun`, { token: await runPageToken(running!.id) });
    expect(refused.status).toBe(409);
    expect(refused.text).toContain("the run has not ended (Waiting)");
    await post(`/runs/${running!.id}/cancel`, { token: await runPageToken(running!.id) });
  });

  it("refuses a cancel from another site, without the form's token, or through another host name", async () => {
    const { ids } = await client.send({ name: "test/slow", data: {} });
    const [run] = await until(async () => runsOf("slow").filter((r) => r.event.id === ids[0]), (r) => r[0]?.status === "Waiting");
    const token = await runPageToken(run!.id);
    const attempts: [Record<string, string>, Record<string, string>, string][] = [
      [{ token }, { origin: "http://evil.example" }, "cross-origin request (Origin: http://evil.example)"],
      [{ token }, { "sec-fetch-site": "cross-site" }, "cross-site request (Sec-Fetch-Site: cross-site)"],
      [{}, {}, "the form&#39;s token is missing or out of date"],
      [{ token: "0".repeat(64) }, {}, "the form&#39;s token is missing or out of date"],
    ];
    for (const [fields, headers, reason] of attempts) {
      const refused = await post(`/runs/${run!.id}/cancel`, fields, headers);
      expect(refused.status).toBe(403);
      expect(refused.text).toContain(reason);
    }
    expect(run!.status).toBe("Waiting");
    // DNS rebinding: a name that resolves to 127.0.0.1 but belongs to someone else.
    expect(await getWithHost(`evil.example:${port}`)).toBe(403);
    expect(await getWithHost(`localhost:${port}`)).toBe(200);
    expect(await getWithHost(`127.0.0.1:${port}`)).toBe(200);
    await post(`/runs/${run!.id}/cancel`, { token });
    expect(run!.status).toBe("Cancelled");
  });
});

describe("events", () => {
  it("sends an event from the form, and shows it with the run it started", async () => {
    const token = tokenIn((await page("/events")).text);
    const sent = await post("/events", { token, event: JSON.stringify({ name: "test/greet", data: { name: "form" } }) });
    expect(sent.status).toBe(303);
    const id = /^\/events\?sent=([0-9a-f-]{36})$/.exec(sent.location ?? "")![1]!;
    const [run] = await until(async () => runsOf("greet").filter((r) => r.event.id === id), ended);
    const { text } = await page(sent.location!);
    expect(text).toContain(`<p role="status" class="notice">Sent event <code>${id}</code>.</p>`);
    expect(text).toContain(`<a class="mono" href="/runs/${run!.id}">${run!.id.slice(0, 8)}</a>`);
  });

  it("refuses a malformed event with a 400 and the reason, from the form and from the API", async () => {
    const token = tokenIn((await page("/events")).text);
    const oversized = JSON.stringify({ name: "test/greet", data: { pad: "x".repeat(MAX_EVENT_BYTES) } });
    const cases = [
      { body: "{ not json", form: "Not sent: the body is not JSON", api: "the body is not JSON" },
      { body: JSON.stringify({ data: { name: "nameless" } }), form: "Not sent: the event has no name", api: "the event has no name" },
      { body: oversized, form: `Not sent: the events are ${oversized.length} bytes; at most 3145728 (3 MiB) are accepted`, api: "the request body is larger than 3145728 bytes, the most accepted" },
    ];
    for (const { body, form, api } of cases) {
      const refused = await post("/events", { token, event: body });
      expect(refused.status).toBe(400);
      expect(refused.text).toContain(`<p id="event-error" class="field-error" role="alert">${form}`);
      // What was typed stays in the field, to be corrected.
      if (body.length < 1000) expect(refused.text).toContain(`aria-invalid="true" aria-describedby="event-error">${body.replaceAll('"', "&quot;")}</textarea>`);

      const response = await fetch(`${executor.url}/e/${keys.eventKey}`, { method: "POST", body });
      expect(response.status).toBe(400);
      const answer = (await response.json()) as { status: number; ids: string[]; error: string };
      expect(answer).toMatchObject({ status: 400, ids: [] });
      expect(answer.error).toContain(api);
    }
    expect(runsOf("greet").some((r) => r.event.data.name === "nameless")).toBe(false);
  });
});

describe("the functions page", () => {
  it("lists each function with its triggers, retries, concurrency, idempotency and when its app synced", async () => {
    const { text } = await page("/functions");
    expect(text).toContain('<h2 id="fn-dashboard-test-unique">unique <span class="muted mono">dashboard-test-unique</span></h2>');
    expect(text).toContain("<dt>Triggers</dt><dd><ul class=\"plain\"><li>event <code>test/unique</code></li></ul></dd>");
    expect(text).toContain("<dt>Retries</dt><dd>3</dd>");
    expect(text).toContain("<dt>Concurrency</dt><dd><ul class=\"plain\"><li>2 per <code>event.data.key</code></li></ul></dd>");
    expect(text).toContain("<dt>Idempotency</dt><dd><code>event.data.key</code> (24 h)</dd>");
    expect(text).toContain(`<span class="mono">${app.url}</span>, synced <time datetime="`);
    expect(text).toContain("<dt>Retries</dt><dd>0</dd>");
  });
});
