/**
 * The REST contracts of DESIGN.md, called as Next.js calls the route handlers, with real
 * tokens, on real services (local executor, s3rver, PostgreSQL, Redis).
 */
import { ListObjectsV2Command } from "@aws-sdk/client-s3";
import { parse } from "csv-parse/sync";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

import { CONNECTION_FAILED_MESSAGE } from "~/server/sources/source-errors";

import { type ExportHarness, startExportHarness } from "./support/export-harness";
import { TEST_SOURCE_DATABASE_URL as PG_URL, withPassword } from "./support/test-env";

const PLANTED = "Pl4nted-Secr3t-Pw";

let harness: ExportHarness;
let app: typeof import("./support/export-app");
let fixtures: typeof import("./support/fixtures");
let visits: typeof import("./support/visit-fixtures");
let routes: {
  download: typeof import("~/app/api/v2/metric_files/[id]/download/route");
  alias: typeof import("~/app/api/v2/metrics/[id]/download/route");
  jobs: typeof import("~/app/api/teams/[teamId]/export-jobs/route");
  job: typeof import("~/app/api/teams/[teamId]/export-jobs/[exportId]/route");
  dataroom: typeof import("~/app/api/teams/[teamId]/datarooms/[id]/export-visits/route");
  group: typeof import("~/app/api/teams/[teamId]/datarooms/[id]/groups/[groupId]/export-visits/route");
  document: typeof import("~/app/api/teams/[teamId]/documents/[id]/export-visits/route");
};
const logs: string[] = [];

beforeAll(async () => {
  // Long enough for a small export on a loaded machine; the 504 test's query sleeps past it.
  harness = await startExportHarness({ env: { EXPORT_REST_WAIT_MS: "10000", EXPORT_FILE_TTL_SECONDS: "30" } });
  app = await import("./support/export-app");
  fixtures = await import("./support/fixtures");
  visits = await import("./support/visit-fixtures");
  routes = {
    download: await import("~/app/api/v2/metric_files/[id]/download/route"),
    alias: await import("~/app/api/v2/metrics/[id]/download/route"),
    jobs: await import("~/app/api/teams/[teamId]/export-jobs/route"),
    job: await import("~/app/api/teams/[teamId]/export-jobs/[exportId]/route"),
    dataroom: await import("~/app/api/teams/[teamId]/datarooms/[id]/export-visits/route"),
    group: await import("~/app/api/teams/[teamId]/datarooms/[id]/groups/[groupId]/export-visits/route"),
    document: await import("~/app/api/teams/[teamId]/documents/[id]/export-visits/route"),
  };
  // Every line the app logs during these tests is kept, to prove no secret reaches a log.
  for (const method of ["log", "error", "warn", "info"] as const) {
    const original = console[method].bind(console);
    console[method] = (...args: unknown[]) => {
      logs.push(args.map(String).join(" "));
      original(...args);
    };
  }
}, 120_000);

afterAll(async () => {
  await harness?.close();
});

const call = <P>(handler: (req: Request, ctx: { params: Promise<P> }) => Promise<Response>, url: string, params: P, init: RequestInit = {}) =>
  handler(new Request(`http://test${url}`, init), { params: Promise.resolve(params) });

const bearer = (token: string) => ({ headers: { authorization: `Bearer ${token}` } });

describe("GET /api/v2/metric_files/:id/download", () => {
  it("answers 200 with a fresh link that ends with the file, the file's figures and the export id", async () => {
    const team = await app.teamWithSource("POSTGRES", { url: PG_URL });
    const metric = await team.metric("SELECT g AS n, 'row ' || g AS label FROM generate_series(1, 25) g", "Daily revenue (EU)");
    const token = await fixtures.tokenFor(team.user.id, team.id);
    const response = await call(routes.download.GET, `/api/v2/metric_files/${metric.id}/download`, { id: metric.id }, bearer(token));
    expect(response.status).toBe(200);
    const body = (await response.json()) as Record<string, unknown>;
    expect(body).toMatchObject({
      rowCount: 25,
      truncated: false,
      fileName: expect.stringMatching(/^Daily_revenue_EU_\d{10}\.csv$/),
      exportId: expect.any(String),
    });
    // Files live 30 s here, links 60 s: the link is presigned for what is left of the file.
    const seconds = Number(new URL(String(body.downloadUrl)).searchParams.get("X-Amz-Expires"));
    expect(seconds).toBeGreaterThan(0);
    expect(seconds).toBeLessThanOrEqual(30);
    expect(body.message).toBe(`Download link expires in ${seconds} seconds. Please start your download immediately.`);
    const expiresAt = Date.parse(String(body.expiresAt));
    // However long the export took, the link ends when the file does, within 30 s of now.
    expect(expiresAt).toBeGreaterThan(Date.now());
    expect(expiresAt - Date.now()).toBeLessThanOrEqual(30_000);
    const csv = await fetch(String(body.downloadUrl));
    expect(csv.status).toBe(200);
    expect(body.fileSize).toBe(Number(csv.headers.get("content-length")));
    expect((parse(await csv.text()) as string[][]).length).toBe(26);
    expect(String(body.downloadUrl)).toMatch(/exports%2F|exports\//);
    expect(String(body.downloadUrl)).toMatch(/[0-9a-f]{32}/);
  });

  it("serves the original's alias path the same way", async () => {
    const team = await app.teamWithSource("POSTGRES", { url: PG_URL });
    const metric = await team.metric("SELECT 1 AS one");
    const token = await fixtures.tokenFor(team.user.id, team.id);
    const response = await call(routes.alias.GET, `/api/v2/metrics/${metric.id}/download`, { id: metric.id }, bearer(token));
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ rowCount: 1 });
  });

  it("answers 403 for another team's metric, 404 for none, 401 without a token", async () => {
    const team = await app.teamWithSource("POSTGRES", { url: PG_URL });
    const metric = await team.metric("SELECT 1");
    const stranger = await fixtures.createTeamWithUser("OWNER");
    const strangerToken = await fixtures.tokenFor(stranger.user.id, stranger.team.id);
    const foreign = await call(routes.download.GET, "/x", { id: metric.id }, bearer(strangerToken));
    expect(foreign.status).toBe(403);
    expect(await foreign.json()).toEqual({ code: "forbidden", message: expect.any(String), error: expect.any(String) });
    const missing = await call(routes.download.GET, "/x", { id: "no-such-metric" }, bearer(strangerToken));
    expect(missing.status).toBe(404);
    expect((await call(routes.download.GET, "/x", { id: metric.id })).status).toBe(401);
  });

  it("answers 404 when the metric's data source has no credentials", async () => {
    const team = await app.teamWithSource("POSTGRES", { url: PG_URL });
    const metric = await team.metric("SELECT 1");
    const { db } = await import("~/server/db");
    await db.dataSource.update({ where: { id: team.source.id }, data: { encryptedCredentials: null } });
    const token = await fixtures.tokenFor(team.user.id, team.id);
    const response = await call(routes.download.GET, "/x", { id: metric.id }, bearer(token));
    expect(response.status).toBe(404);
  });

  it("answers 400 with the database's message for bad SQL", async () => {
    const team = await app.teamWithSource("POSTGRES", { url: PG_URL });
    const metric = await team.metric("SELEKT nonsense");
    const token = await fixtures.tokenFor(team.user.id, team.id);
    const response = await call(routes.download.GET, "/x", { id: metric.id }, bearer(token));
    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({ code: "query_failed", message: expect.stringContaining("syntax error"), exportId: expect.any(String) });
  });

  it("answers 504 with the export id when the export outlasts the wait, and the export is not lost", async () => {
    const team = await app.teamWithSource("POSTGRES", { url: PG_URL });
    const metric = await team.metric("SELECT pg_sleep(12), 'slow' AS speed");
    const token = await fixtures.tokenFor(team.user.id, team.id);
    const response = await call(routes.download.GET, "/x", { id: metric.id }, bearer(token));
    expect(response.status).toBe(504);
    const body = (await response.json()) as { exportId: string; statusUrl: string; message: string };
    expect(body.statusUrl).toBe(`/api/teams/${team.id}/export-jobs/${body.exportId}`);
    // EXPORT_REST_WAIT_MS is 10 s here: the message says the wait this deployment configures.
    expect(body.message).toBe("The export is still running after 10 seconds. Fetch it later with its export id.");
    await app.waitFor(async () => {
      const status = await call(routes.job.GET, body.statusUrl, { teamId: team.id, exportId: body.exportId }, bearer(token));
      return ((await status.json()) as { status: string }).status === "COMPLETED";
    }, 30_000);
  });

  it("answers 502 with one plain message, not the connection error, when the data source stays unreachable through its retries", async () => {
    const team = await app.teamWithSource("POSTGRES", { url: "postgresql://postgres@127.0.0.1:1/nowhere" });
    const metric = await team.metric("SELECT 1");
    const token = await fixtures.tokenFor(team.user.id, team.id);
    const response = await call(routes.download.GET, "/x", { id: metric.id }, bearer(token));
    expect(response.status).toBe(502);
    const body = (await response.json()) as { code: string; message: string; exportId: string };
    expect(body).toMatchObject({ code: "upstream_unavailable", message: CONNECTION_FAILED_MESSAGE, error: CONNECTION_FAILED_MESSAGE });
    expect(JSON.stringify(body)).not.toMatch(/ECONNREFUSED|127\.0\.0\.1/);
    const job = await team.trpc.exports.get({ teamId: team.id, exportId: body.exportId });
    expect(job).toMatchObject({ status: "FAILED", errorCode: "UPSTREAM_UNAVAILABLE" });
  });

  it("never lets a data source's password reach an answer, a job or a log line", async () => {
    const team = await app.teamWithSource("POSTGRES", { url: `postgresql://nobody:${PLANTED}@127.0.0.1:1/nowhere` });
    const unreachable = await team.metric("SELECT 1");
    const token = await fixtures.tokenFor(team.user.id, team.id);
    const connection = await call(routes.download.GET, "/x", { id: unreachable.id }, bearer(token));
    const connectionBody = await connection.text();
    expect(connection.status).toBeGreaterThanOrEqual(400);

    const local = await app.teamWithSource("POSTGRES", { url: withPassword(PG_URL, PLANTED) });
    const bad = await local.metric("SELECT * FROM no_such_relation_for_secrets");
    const localToken = await fixtures.tokenFor(local.user.id, local.id);
    const query = await call(routes.download.GET, "/x", { id: bad.id }, bearer(localToken));
    const queryBody = await query.text();
    expect(query.status).toBe(400);

    const jobs = await call(routes.jobs.GET, `/api/teams/${team.id}/export-jobs`, { teamId: team.id }, bearer(token));
    const jobsBody = await jobs.text();
    const { getRedis } = await import("~/server/services");
    const keys = await getRedis().keys("export_job:*");
    const records = await Promise.all(keys.map((k) => getRedis().hgetall(k)));
    for (const text of [connectionBody, queryBody, jobsBody, JSON.stringify(records), logs.join("\n")]) {
      expect(text).not.toContain(PLANTED);
    }
  });
});

describe("visit export and export-jobs REST API", () => {
  it("creates, lists, reads, downloads and deletes a job", async () => {
    const seeded = await visits.seedVisits({ views: 6 });
    const token = await fixtures.tokenFor(seeded.user.id, seeded.team.id);
    const created = await call(routes.dataroom.POST, "/x", { teamId: seeded.team.id, id: seeded.dataroom.id }, { method: "POST", ...bearer(token) });
    expect(created.status).toBe(202);
    const { exportId } = (await created.json()) as { exportId: string };

    const early = await call(routes.job.GET, "/x?download=true", { teamId: seeded.team.id, exportId }, bearer(token));
    if (early.status !== 302) {
      expect(early.status).toBe(409);
      expect(await early.json()).toMatchObject({ code: "conflict", status: expect.stringMatching(/PENDING|PROCESSING/) });
    }

    await app.waitFor(async () => {
      const r = await call(routes.job.GET, "/x", { teamId: seeded.team.id, exportId }, bearer(token));
      return ((await r.json()) as { status: string }).status === "COMPLETED";
    }, 30_000);
    const listed = await call(routes.jobs.GET, "/x?limit=5", { teamId: seeded.team.id }, bearer(token));
    expect(await listed.json()).toMatchObject({ jobs: [{ id: exportId, type: "dataroom", status: "COMPLETED", progress: { rows: 6 } }], total: 1, nextOffset: null });

    const download = await call(routes.job.GET, "/x?download=true", { teamId: seeded.team.id, exportId }, bearer(token));
    expect(download.status).toBe(302);
    const csv = await fetch(download.headers.get("location")!);
    expect(csv.headers.get("content-disposition")).toMatch(/attachment; filename="visits_/);
    expect((parse(await csv.text()) as string[][]).length).toBe(7);

    const job = (await (await call(routes.job.GET, "/x", { teamId: seeded.team.id, exportId }, bearer(token))).json()) as { file: { key: string } };
    const deleted = await call(routes.job.DELETE, "/x", { teamId: seeded.team.id, exportId }, { method: "DELETE", ...bearer(token) });
    expect(deleted.status).toBe(204);
    expect((await call(routes.job.GET, "/x", { teamId: seeded.team.id, exportId }, bearer(token))).status).toBe(404);
    const { getStorage } = await import("~/server/services");
    const objects = await getStorage().client.send(new ListObjectsV2Command({ Bucket: harness.bucket, Prefix: job.file.key }));
    expect(objects.Contents ?? []).toEqual([]);
  });

  it("refuses foreign teams, unknown resources, groups of other datarooms and bad input", async () => {
    const seeded = await visits.seedVisits({ views: 1 });
    const token = await fixtures.tokenFor(seeded.user.id, seeded.team.id);
    const stranger = await fixtures.createTeamWithUser("OWNER");
    const strangerToken = await fixtures.tokenFor(stranger.user.id, stranger.team.id);
    const post = { method: "POST" };

    const cases: [string, Promise<Response>, number][] = [
      ["foreign team's dataroom via own team", call(routes.dataroom.POST, "/x", { teamId: stranger.team.id, id: seeded.dataroom.id }, { ...post, ...bearer(strangerToken) }), 404],
      ["other team's id in the path", call(routes.dataroom.POST, "/x", { teamId: seeded.team.id, id: seeded.dataroom.id }, { ...post, ...bearer(strangerToken) }), 403],
      ["unknown document", call(routes.document.POST, "/x", { teamId: seeded.team.id, id: "nope" }, { ...post, ...bearer(token) }), 404],
      ["group of another dataroom", call(routes.group.POST, "/x", { teamId: seeded.team.id, id: seeded.otherRoom.id, groupId: seeded.investors.id }, { ...post, ...bearer(token) }), 404],
      ["malformed id", call(routes.document.POST, "/x", { teamId: seeded.team.id, id: "../../etc" }, { ...post, ...bearer(token) }), 400],
      ["invalid JSON body", call(routes.document.POST, "/x", { teamId: seeded.team.id, id: seeded.document.id }, { ...post, body: "{", ...bearer(token) }), 400],
      ["unknown field", call(routes.document.POST, "/x", { teamId: seeded.team.id, id: seeded.document.id }, { ...post, body: '{"surprise":1}', ...bearer(token) }), 400],
      ["foreign job", call(routes.job.GET, "/x", { teamId: seeded.team.id, exportId: "no-such-export" }, bearer(token)), 404],
      ["bad paging", call(routes.jobs.GET, "/x?limit=1000", { teamId: seeded.team.id }, bearer(token)), 400],
      ["revoked-looking token", call(routes.jobs.GET, "/x", { teamId: seeded.team.id }, bearer("ec_forged")), 401],
    ];
    for (const [name, response, status] of cases) expect((await response).status, name).toBe(status);
    const listed = await call(routes.jobs.GET, "/x", { teamId: seeded.team.id }, bearer(token));
    expect(((await listed.json()) as { total: number }).total, "nothing was created").toBe(0);
  });
});
