/**
 * Buster's download menu, replayed against the app as Buster's own web client calls it
 * (buster-so/buster @8776476, read for its facts):
 *
 * - `downloadMetricFile` in apps/web/src/api/buster_rest/metrics/requests.ts is an axios GET of
 *   `/api/v2/metric_files/:id/download` with `{ params }`: `metric_version_number` whenever a
 *   version is shown, `report_file_id` inside a report. axios leaves undefined params out.
 * - `useDownloadMetricFile` (getMetricQueryRequests.ts) reads only `downloadUrl` (an `<a
 *   download>` it clicks) and `rowCount` ("Downloading N records...").
 * - On failure the UI shows `apiErrorHandler`'s text (apps/web/src/api/errors.ts): the body's
 *   `error.issues[0].message`, else a string body, else `message`, else `detail`, else axios'
 *   own error text.
 * - Buster's server joins a repeated download of the same metric and version by the same user
 *   to the export already running (apps/server/src/api/v2/metric_files/[id]/download).
 *
 * Everything is real: the route handlers as Next calls them, the local executor, s3rver,
 * PostgreSQL and Redis.
 */
import { parse } from "csv-parse/sync";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

import { type ExportHarness, startExportHarness } from "./support/export-harness";
import { restError } from "./support/rest-error";
import { TEST_SOURCE_DATABASE_URL as PG_URL } from "./support/test-env";

let harness: ExportHarness;
let app: typeof import("./support/export-app");
let fixtures: typeof import("./support/fixtures");
let route: typeof import("~/app/api/v2/metric_files/[id]/download/route");
let db: typeof import("~/server/db").db;

beforeAll(async () => {
  harness = await startExportHarness({ env: { EXPORT_REST_WAIT_MS: "30000", EXPORT_FILE_TTL_SECONDS: "30" } });
  app = await import("./support/export-app");
  fixtures = await import("./support/fixtures");
  route = await import("~/app/api/v2/metric_files/[id]/download/route");
  db = (await import("~/server/db")).db;
}, 120_000);

afterAll(async () => {
  await harness?.close();
});

type MenuParams = { id: string; metric_version_number?: number | string; report_file_id?: string; [other: string]: string | number | undefined };

/** One click of Buster's menu: the GET its client makes, with the params axios would put in the URL. */
async function busterDownload(token: string, { id, ...params }: MenuParams) {
  const query = new URLSearchParams(Object.entries(params).flatMap(([k, v]) => (v === undefined ? [] : [[k, String(v)]])));
  const url = `http://test/api/v2/metric_files/${id}/download${query.size ? `?${query}` : ""}`;
  const response = await route.GET(new Request(url, { headers: { authorization: `Bearer ${token}`, accept: "application/json, text/plain, */*" } }), {
    params: Promise.resolve({ id }),
  });
  const text = await response.text();
  let data: unknown = text;
  try {
    data = JSON.parse(text);
  } catch {
    // axios keeps a body that is not JSON as its text
  }
  return { status: response.status, data };
}

/** What Buster's UI shows for a failed request, in its own order of preference. */
function busterErrorText(status: number, data: unknown): string {
  const body = data as { error?: { issues?: { message?: string }[] }; message?: unknown; detail?: unknown } | string | undefined;
  if (typeof body === "object" && body?.error?.issues?.length && body.error.issues[0]?.message) return String(body.error.issues[0].message);
  if (typeof body === "string" && body) return body;
  if (typeof body === "object" && body?.message) return String(body.message);
  if (typeof body === "object" && body?.detail) {
    const detail = body.detail as unknown;
    if (Array.isArray(detail) && (detail[0] as { msg?: string })?.msg) return String((detail[0] as { msg: string }).msg);
    return String(detail);
  }
  return `Request failed with status code ${status}`;
}

/** What Buster reads on success, and the file its `<a download>` gets. */
async function downloaded(data: unknown) {
  const { downloadUrl, rowCount } = data as { downloadUrl: string; rowCount: number };
  const file = await fetch(downloadUrl);
  expect(file.status).toBe(200);
  const rows = parse(await file.text(), { columns: true }) as Record<string, string>[];
  return { downloadUrl, rowCount, rows };
}

/** The engine's runs of metric exports for this metric. */
const runsOf = (metricId: string) => harness.executor.runs().filter((r) => r.functionId.endsWith("export-metric-data") && r.event.data.metricId === metricId);

async function menuFor(sql: string) {
  const team = await app.teamWithSource("POSTGRES", { url: PG_URL });
  const metric = await team.metric(sql, fixtures.uniqueName("Revenue"));
  const token = await fixtures.tokenFor(team.user.id, team.id);
  return { team, metric, token };
}

describe("Buster's download menu", () => {
  it("plain: downloads the metric, and the link and row count it reads are the file's", async () => {
    const { metric, token } = await menuFor("SELECT g AS n FROM generate_series(1, 25) g");
    const { status, data } = await busterDownload(token, { id: metric.id });
    expect(status).toBe(200);
    const file = await downloaded(data);
    expect(file.rowCount).toBe(25);
    expect(file.rows.map((r) => r.n)).toEqual(Array.from({ length: 25 }, (_, i) => String(i + 1)));
    expect(data).toMatchObject({ metricVersionNumber: 1 });
  });

  it("with a version: exports that version's SQL, and the job and the audit log record its number", async () => {
    const { team, metric, token } = await menuFor("SELECT g AS n FROM generate_series(1, 3) g");
    await team.trpc.metrics.update({ teamId: team.id, metricId: metric.id, sql: "SELECT g * 10 AS n FROM generate_series(1, 5) g" });
    // A new name alone is no new version.
    await team.trpc.metrics.update({ teamId: team.id, metricId: metric.id, name: fixtures.uniqueName("Renamed") });
    const versions = await team.trpc.metrics.versions({ teamId: team.id, metricId: metric.id });
    expect(versions.map((v) => [v.number, v.sql])).toEqual([
      [2, "SELECT g * 10 AS n FROM generate_series(1, 5) g"],
      [1, "SELECT g AS n FROM generate_series(1, 3) g"],
    ]);

    const first = await busterDownload(token, { id: metric.id, metric_version_number: 1 });
    expect(first.status).toBe(200);
    const v1 = await downloaded(first.data);
    expect(v1.rowCount).toBe(3);
    expect(v1.rows.map((r) => r.n)).toEqual(["1", "2", "3"]);
    const exportId = (first.data as { exportId: string }).exportId;
    expect((await team.trpc.exports.get({ teamId: team.id, exportId })).resourceVersion).toBe(1);
    expect(await db.exportAuditEvent.findUnique({ where: { exportId }, select: { resourceVersion: true, outcome: true } })).toEqual({ resourceVersion: 1, outcome: "COMPLETED" });

    // Without a version: the latest.
    const latest = await busterDownload(token, { id: metric.id });
    expect(latest.status).toBe(200);
    const v2 = await downloaded(latest.data);
    expect(v2.rowCount).toBe(5);
    expect(v2.rows.map((r) => r.n)).toEqual(["10", "20", "30", "40", "50"]);
    expect(latest.data).toMatchObject({ metricVersionNumber: 2 });
  });

  it("with an unknown version: a 404 whose text, as Buster shows it, names the version; nothing is started", async () => {
    const { team, metric, token } = await menuFor("SELECT 1 AS n");
    const { status, data } = await busterDownload(token, { id: metric.id, metric_version_number: 7 });
    expect(status).toBe(404);
    expect(restError(data).code).toBe("not_found");
    expect(busterErrorText(status, data)).toBe("The metric has no version 7");
    expect((await team.trpc.exports.list({ teamId: team.id })).total).toBe(0);
  });

  it("with a malformed version or an unknown parameter: a 400 whose text names the parameter", async () => {
    const { team, metric, token } = await menuFor("SELECT 1 AS n");
    for (const [params, named] of [
      [{ metric_version_number: "two" }, "metric_version_number"],
      [{ metric_version_number: "0" }, "metric_version_number"],
      [{ metric_version_number: "1.5" }, "metric_version_number"],
      [{ format: "docx" }, "format"],
      [{ colour: "red" }, "colour"],
    ] as const) {
      const { status, data } = await busterDownload(token, { id: metric.id, ...params });
      expect(status, JSON.stringify(params)).toBe(400);
      expect(restError(data).code).toBe("bad_request");
      expect(busterErrorText(status, data)).toMatch(new RegExp(`^${named}: `));
    }
    expect((await team.trpc.exports.list({ teamId: team.id })).total).toBe(0);
  });

  it("with a report id: a 404 that says there are no reports, not an unknown field", async () => {
    const { team, metric, token } = await menuFor("SELECT 1 AS n");
    const { status, data } = await busterDownload(token, { id: metric.id, metric_version_number: 1, report_file_id: "0f3c1a52-9a4e-4d7e-8b1f-3c2d1e0f9a8b" });
    expect(status).toBe(404);
    expect(restError(data).code).toBe("not_found");
    expect(busterErrorText(status, data)).toMatch(/no reports/);
    expect((await team.trpc.exports.list({ teamId: team.id })).total).toBe(0);
  });

  it("a repeated click: joins the running export (one run in the engine), then gets a fresh link to the same file", async () => {
    const { team, metric, token } = await menuFor("SELECT g AS n, pg_sleep(0.2) AS slept FROM generate_series(1, 8) g");
    const clicks = await Promise.all([busterDownload(token, { id: metric.id }), busterDownload(token, { id: metric.id })]);
    // tRPC, the same user, while it runs: the same export's id.
    const viaTrpc = await team.trpc.metrics.export({ teamId: team.id, metricId: metric.id });
    for (const click of clicks) expect(click.status).toBe(200);
    const [a, b] = clicks.map((c) => c.data as { exportId: string; fileName: string; rowCount: number; downloadUrl: string });
    expect(b!.exportId).toBe(a!.exportId);
    expect(b!.fileName).toBe(a!.fileName);
    expect(viaTrpc.exportId).toBe(a!.exportId);
    expect(runsOf(metric.id)).toHaveLength(1);

    // Finished, its file still there: a fresh link to the same file, still one run.
    await new Promise((resolve) => setTimeout(resolve, 1100));
    const again = await busterDownload(token, { id: metric.id });
    expect(again.status).toBe(200);
    const later = again.data as { exportId: string; fileName: string; downloadUrl: string };
    expect(later.exportId).toBe(a!.exportId);
    expect(later.fileName).toBe(a!.fileName);
    expect(later.downloadUrl).not.toBe(a!.downloadUrl);
    expect((await downloaded(later)).rows).toHaveLength(8);
    expect(runsOf(metric.id)).toHaveLength(1);
    expect((await team.trpc.exports.list({ teamId: team.id })).total).toBe(1);
  });

  it("a failure: the text Buster shows is the database's reason, and the next click starts a new export", async () => {
    const { team, metric, token } = await menuFor("SELECT * FROM buster_menu_missing_table");
    const { status, data } = await busterDownload(token, { id: metric.id });
    expect(status).toBe(400);
    expect(restError(data).code).toBe("query_failed");
    expect(busterErrorText(status, data)).toMatch(/relation "buster_menu_missing_table" does not exist/);
    const failedId = (await team.trpc.exports.list({ teamId: team.id })).items[0]!.id;

    // No stale entry: the failed export is not joined, a new one runs (and fails the same way).
    const retry = await busterDownload(token, { id: metric.id });
    expect(retry.status).toBe(400);
    const jobs = (await team.trpc.exports.list({ teamId: team.id })).items;
    expect(jobs.map((j) => j.status)).toEqual(["FAILED", "FAILED"]);
    expect(jobs[1]!.id).toBe(failedId);
    expect(runsOf(metric.id)).toHaveLength(2);
  });
});
