/**
 * Bad input on every REST endpoint, table-driven: bad tokens, foreign teams and ids, ids of
 * the wrong shape, malformed, oversized and unexpected bodies and query strings. Each answer
 * is checked for its status and the one error shape, and afterwards nothing may exist: no
 * job record in Redis, no audit row, no object in storage, no Inngest run. A last request
 * that is valid (its body exactly at the size cap) proves that those four would have shown it.
 *
 * The handlers are called as Next.js calls them. Methods a route does not export are answered
 * by Next itself; the method table below asks Next's own resolver (`autoImplementMethods`,
 * which AppRouteRouteModule uses) what it would answer.
 */
import { ListObjectsV2Command } from "@aws-sdk/client-s3";
import { autoImplementMethods } from "next/dist/server/route-modules/app-route/helpers/auto-implement-methods";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

import { type ExportHarness, startExportHarness } from "./support/export-harness";
import { TEST_SOURCE_DATABASE_URL as PG_URL } from "./support/test-env";


type Handler = (req: Request, ctx: { params: Promise<Record<string, string>> }) => Promise<Response>;
type Endpoint = { name: string; method: string; path: (p: Record<string, string>) => string; params: Record<string, string>; handler: Handler; query?: string };

let harness: ExportHarness;
let fixtures: typeof import("./support/fixtures");
let services: typeof import("~/server/services");
let db: typeof import("~/server/db").db;
let body: typeof import("~/server/rest/request-body");
let routes: {
  download: typeof import("~/app/api/v2/metric_files/[id]/download/route");
  alias: typeof import("~/app/api/v2/metrics/[id]/download/route");
  document: typeof import("~/app/api/teams/[teamId]/documents/[id]/export-visits/route");
  dataroom: typeof import("~/app/api/teams/[teamId]/datarooms/[id]/export-visits/route");
  group: typeof import("~/app/api/teams/[teamId]/datarooms/[id]/groups/[groupId]/export-visits/route");
  jobs: typeof import("~/app/api/teams/[teamId]/export-jobs/route");
  job: typeof import("~/app/api/teams/[teamId]/export-jobs/[exportId]/route");
};

/** Our team, with one of each resource; a stranger's team with the same. */
let ours: Awaited<ReturnType<typeof seedTeam>>;
let theirs: Awaited<ReturnType<typeof seedTeam>>;
let tokens: { valid: string; revoked: string; expired: string; stranger: string };
let strangerExportId: string;

async function seedTeam() {
  const visits = await import("./support/visit-fixtures");
  const seeded = await visits.seedVisits({ views: 1 });
  const trpc = fixtures.trpcAs(fixtures.sessionCaller(seeded.user.id));
  const source = await trpc.dataSources.create({ teamId: seeded.team.id, name: fixtures.uniqueName("source"), type: "POSTGRES", credentials: { url: PG_URL } });
  const metric = await trpc.metrics.create({ teamId: seeded.team.id, name: fixtures.uniqueName("metric"), sql: "SELECT 1", dataSourceId: source.id });
  return { ...seeded, metric };
}

beforeAll(async () => {
  // Most of the table is sent with one token; its per-minute REST limit is not under test here.
  harness = await startExportHarness({ env: { RATE_LIMIT_REST_PER_TOKEN_PER_MINUTE: "100000" } });
  fixtures = await import("./support/fixtures");
  services = await import("~/server/services");
  ({ db } = await import("~/server/db"));
  body = await import("~/server/rest/request-body");
  routes = {
    download: await import("~/app/api/v2/metric_files/[id]/download/route"),
    alias: await import("~/app/api/v2/metrics/[id]/download/route"),
    document: await import("~/app/api/teams/[teamId]/documents/[id]/export-visits/route"),
    dataroom: await import("~/app/api/teams/[teamId]/datarooms/[id]/export-visits/route"),
    group: await import("~/app/api/teams/[teamId]/datarooms/[id]/groups/[groupId]/export-visits/route"),
    jobs: await import("~/app/api/teams/[teamId]/export-jobs/route"),
    job: await import("~/app/api/teams/[teamId]/export-jobs/[exportId]/route"),
  };
  ours = await seedTeam();
  theirs = await seedTeam();

  const { createApiToken, revokeApiToken } = await import("~/server/auth/api-tokens");
  const revoked = await createApiToken({ userId: ours.user.id, teamId: ours.team.id, name: "revoked" });
  await revokeApiToken(revoked.id, ours.team.id);
  const expired = await createApiToken({ userId: ours.user.id, teamId: ours.team.id, name: "expired", expiresAt: new Date(Date.now() - 1000) });
  tokens = {
    valid: await fixtures.tokenFor(ours.user.id, ours.team.id),
    revoked: revoked.token,
    expired: expired.token,
    stranger: await fixtures.tokenFor(theirs.user.id, theirs.team.id),
  };
  // A job of the other team, written straight to the store: no run, nothing in our team.
  const { job } = await services.getJobStore().create({
    id: crypto.randomUUID(),
    type: "document",
    resourceId: theirs.document.id,
    userId: theirs.user.id,
    teamId: theirs.team.id,
    channel: "REST",
  });
  strangerExportId = job.id;
}, 120_000);

afterAll(async () => {
  await harness?.close();
});

/** Every REST endpoint, each with valid params for our team; a case overrides what it breaks. */
function endpoints() {
  const t = ours.team.id;
  const job = { teamId: t, exportId: "00000000-0000-4000-8000-000000000000" };
  return {
    download: { name: "GET metric download", method: "GET", path: (p) => `/api/v2/metric_files/${p.id}/download`, params: { id: ours.metric.id }, handler: routes.download.GET as Handler },
    alias: { name: "GET metric download (alias)", method: "GET", path: (p) => `/api/v2/metrics/${p.id}/download`, params: { id: ours.metric.id }, handler: routes.alias.GET as Handler },
    document: { name: "POST document visits", method: "POST", path: (p) => `/api/teams/${p.teamId}/documents/${p.id}/export-visits`, params: { teamId: t, id: ours.document.id }, handler: routes.document.POST as Handler },
    dataroom: { name: "POST dataroom visits", method: "POST", path: (p) => `/api/teams/${p.teamId}/datarooms/${p.id}/export-visits`, params: { teamId: t, id: ours.dataroom.id }, handler: routes.dataroom.POST as Handler },
    group: {
      name: "POST group visits",
      method: "POST",
      path: (p) => `/api/teams/${p.teamId}/datarooms/${p.id}/groups/${p.groupId}/export-visits`,
      params: { teamId: t, id: ours.dataroom.id, groupId: ours.investors.id },
      handler: routes.group.POST as Handler,
    },
    jobs: { name: "GET export jobs", method: "GET", path: (p) => `/api/teams/${p.teamId}/export-jobs`, params: { teamId: t }, handler: routes.jobs.GET as Handler },
    job: { name: "GET export job", method: "GET", path: (p) => `/api/teams/${p.teamId}/export-jobs/${p.exportId}`, params: job, handler: routes.job.GET as Handler },
    jobDownload: {
      name: "GET export job download",
      method: "GET",
      path: (p) => `/api/teams/${p.teamId}/export-jobs/${p.exportId}`,
      params: job,
      handler: routes.job.GET as Handler,
      query: "download=true",
    },
    remove: { name: "DELETE export job", method: "DELETE", path: (p) => `/api/teams/${p.teamId}/export-jobs/${p.exportId}`, params: job, handler: routes.job.DELETE as Handler },
  } satisfies Record<string, Endpoint>;
}

type Send = {
  auth?: string | null;
  params?: Record<string, string>;
  query?: string;
  body?: BodyInit;
  headers?: Record<string, string>;
};

function send(endpoint: Endpoint, options: Send = {}): Promise<Response> {
  const params = { ...endpoint.params, ...options.params };
  const query = options.query ?? endpoint.query;
  const headers: Record<string, string> = { ...options.headers };
  const auth = options.auth === undefined ? `Bearer ${tokens.valid}` : options.auth;
  if (auth !== null) headers.authorization = auth;
  const stream = options.body instanceof ReadableStream;
  const req = new Request(`http://test${endpoint.path(params)}${query ? `?${query}` : ""}`, {
    method: endpoint.method,
    headers,
    body: options.body,
    ...(stream ? { duplex: "half" } : {}),
  } as RequestInit);
  return endpoint.handler(req, { params: Promise.resolve(params) });
}

type Case = { name: string; status: number; code: string; issuePath?: string; request: () => Promise<Response> };

const badIds: [string, string][] = [
  ["empty", ""],
  ["10 KB long", "a".repeat(10_000)],
  ["with a slash", "a/b"],
  ["a path traversal", "../../etc/passwd"],
  ["unicode", "dökümänt-🚀"],
  ["a NUL byte", "abc\u0000def"],
  ["a space", "a b"],
  ["percent-encoded", "a%2Fb"],
];

function cases(): Case[] {
  const all: Case[] = [];
  const add = (endpoint: Endpoint, name: string, status: number, code: string, request: () => Promise<Response>, issuePath?: string) =>
    all.push({ name: `${endpoint.name}: ${name}`, status, code, issuePath, request });
  const endpoint = endpoints();

  for (const e of Object.values(endpoint) as Endpoint[]) {
    // Who is calling.
    add(e, "no Authorization header", 401, "unauthorized", () => send(e, { auth: null }));
    add(e, "Bearer without a token", 401, "unauthorized", () => send(e, { auth: "Bearer " }));
    add(e, "Basic instead of Bearer", 401, "unauthorized", () => send(e, { auth: "Basic dXNlcjpwYXNz" }));
    add(e, "two words after Bearer", 401, "unauthorized", () => send(e, { auth: `Bearer ${tokens.valid} extra` }));
    add(e, "a forged token", 401, "unauthorized", () => send(e, { auth: "Bearer ec_forged" }));
    add(e, "a 10 KB token", 401, "unauthorized", () => send(e, { auth: `Bearer ec_${"x".repeat(10_000)}` }));
    add(e, "a revoked token", 401, "unauthorized", () => send(e, { auth: `Bearer ${tokens.revoked}` }));
    add(e, "an expired token", 401, "unauthorized", () => send(e, { auth: `Bearer ${tokens.expired}` }));
    add(e, "no token and a malformed id (the caller is checked first)", 401, "unauthorized", () =>
      send(e, { auth: null, params: Object.fromEntries(Object.keys(e.params).map((k) => [k, "a/b"])) }),
    );
    add(e, "another team's token", 403, "forbidden", () => send(e, { auth: `Bearer ${tokens.stranger}` }));

    // Ids of the wrong shape, in each position.
    for (const key of Object.keys(e.params)) {
      for (const [shape, value] of badIds) add(e, `${key} ${shape}`, 400, "bad_request", () => send(e, { params: { [key]: value } }), key);
    }

    // Query strings.
    add(e, "an unknown query parameter", 400, "bad_request", () => send(e, { query: [e.query, "surprise=1"].filter(Boolean).join("&") }), "surprise");

    if (e.method === "POST") {
      const json = (text: string, name: string, issuePath?: string) =>
        add(e, name, 400, "bad_request", () => send(e, { body: text, headers: { "content-type": "application/json" } }), issuePath);
      json("{", "truncated JSON");
      json('{"requestId":', "JSON cut mid-value");
      json("{'requestId': 'x'}", "single-quoted JSON");
      json("[]", "an array body");
      json("null", "a null body");
      json("42", "a number body");
      json('{"surprise":1}', "an unknown field", "surprise");
      json('{"requestId":"r1","nested":{"x":1}}', "an unknown field beside a valid one", "nested");
      json('{"requestId":5}', "requestId as a number", "requestId");
      json('{"requestId":null}', "requestId as null", "requestId");
      json('{"requestId":""}', "an empty requestId", "requestId");
      json(`{"requestId":"${"r".repeat(65)}"}`, "a 65-character requestId", "requestId");
      add(e, "a body that is not UTF-8", 400, "bad_request", () => send(e, { body: new Uint8Array([0x7b, 0xff, 0xfe, 0x7d]) }));

      const over = `{"requestId":"r1"}${" ".repeat(body.MAX_BODY_BYTES)}`;
      add(e, "an oversized body", 413, "payload_too_large", () => send(e, { body: over }));
      add(e, "a small body claiming a huge Content-Length", 413, "payload_too_large", () => send(e, { body: "{}", headers: { "content-length": "1000000000" } }));
      add(e, "an oversized body claiming a small Content-Length", 413, "payload_too_large", () => send(e, { body: over, headers: { "content-length": "18" } }));
    }
  }

  const { download, document, dataroom, group, jobs, job, remove } = endpoint;
  const t = ours.team.id;
  // Other teams' things, and things that do not exist.
  all.push(
    { name: "metric download: another team's metric", status: 403, code: "forbidden", request: () => send(download, { params: { id: theirs.metric.id } }) },
    { name: "metric download: no such metric", status: 404, code: "not_found", request: () => send(download, { params: { id: "no-such-metric" } }) },
    { name: "document visits: another team's document under our team", status: 404, code: "not_found", request: () => send(document, { params: { id: theirs.document.id } }) },
    { name: "document visits: our document under their team", status: 403, code: "forbidden", request: () => send(document, { params: { teamId: theirs.team.id } }) },
    { name: "dataroom visits: another team's dataroom", status: 404, code: "not_found", request: () => send(dataroom, { params: { id: theirs.dataroom.id } }) },
    { name: "group visits: a group of another dataroom", status: 404, code: "not_found", request: () => send(group, { params: { id: ours.otherRoom.id } }) },
    { name: "group visits: another team's group", status: 404, code: "not_found", request: () => send(group, { params: { groupId: theirs.investors.id } }) },
    { name: "export jobs: their team's list", status: 403, code: "forbidden", request: () => send(jobs, { params: { teamId: theirs.team.id } }) },
    { name: "export job: no such job", status: 404, code: "not_found", request: () => send(job) },
    { name: "export job: another team's job through ours", status: 404, code: "not_found", request: () => send(job, { params: { teamId: t, exportId: strangerExportId } }) },
    { name: "DELETE export job: another team's job through ours", status: 404, code: "not_found", request: () => send(remove, { params: { teamId: t, exportId: strangerExportId } }) },
  );
  for (const [query, path] of [
    ["limit=abc", "limit"],
    ["limit=0", "limit"],
    ["limit=101", "limit"],
    ["limit=1.5", "limit"],
    ["offset=-1", "offset"],
    ["offset=", "offset"],
  ] as const) {
    all.push({ name: `export jobs: ${query}`, status: 400, code: "bad_request", issuePath: path, request: () => send(jobs, { query }) });
  }
  all.push({ name: "export job: download=yes", status: 400, code: "bad_request", issuePath: "download", request: () => send(job, { query: "download=yes" }) });
  return all;
}

async function expectNothingCreated() {
  const store = services.getJobStore();
  expect((await store.list({ teamId: ours.team.id }, { limit: 100 })).total, "job records of the team").toBe(0);
  expect((await store.list({ userId: ours.user.id }, { limit: 100 })).total, "job records of the user").toBe(0);
  expect(await db.exportAuditEvent.count({ where: { teamId: { in: [ours.team.id, theirs.team.id] } } }), "audit rows").toBe(0);
  const objects = await services.getStorage().client.send(new ListObjectsV2Command({ Bucket: harness.bucket }));
  expect(objects.KeyCount ?? 0, "objects in storage").toBe(0);
  // The cron functions (the watchdog, the scheduler) tick every minute whatever the requests do.
  const requested = harness.executor.runs().filter((run) => run.event.name !== "inngest/scheduled.timer");
  expect(requested, "Inngest runs started by a request").toEqual([]);
  expect(await store.get(strangerExportId), "the other team's job is untouched").not.toBeNull();
}

describe("bad input on every REST endpoint", () => {
  it("answers each bad request with its status and the one error shape, and creates nothing", async () => {
    const table = cases();
    expect(table.length).toBeGreaterThan(200);
    for (const c of table) {
      const response = await c.request();
      const text = await response.text();
      expect(response.status, `${c.name}: ${text.slice(0, 300)}`).toBe(c.status);
      expect(response.headers.get("content-type"), c.name).toMatch(/^application\/json/);
      const parsed = JSON.parse(text) as { code: string; message: string; error: string; issues?: { path: string; message: string }[] };
      expect(parsed, c.name).toMatchObject({ code: c.code, message: expect.any(String) });
      expect(parsed.message.length, c.name).toBeGreaterThan(0);
      // What Papermark's modal shows: `error`, the same text.
      expect(parsed.error, c.name).toBe(parsed.message);
      // A 10 KB id or token is never echoed back.
      expect(text.length, c.name).toBeLessThan(2000);
      if (c.issuePath !== undefined) {
        expect(parsed.issues?.map((i) => i.path), c.name).toContain(c.issuePath);
        expect(parsed.message, c.name).toMatch(new RegExp(`^${c.issuePath}: `));
      }
    }
    await expectNothingCreated();
  });

  it("stops reading a chunked body at the cap instead of buffering all of it", async () => {
    const { document } = endpoints();
    let pulled = 0;
    const chunk = new TextEncoder().encode(" ".repeat(4096));
    // A megabyte, offered 4 KB at a time, with no Content-Length to trust.
    const stream = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (pulled >= 1024 * 1024) return controller.close();
        pulled += chunk.byteLength;
        controller.enqueue(chunk);
      },
    });
    const response = await send(document, { body: stream });
    expect(response.status).toBe(413);
    expect(await response.json()).toEqual({ code: "payload_too_large", message: expect.any(String), limitBytes: body.MAX_BODY_BYTES, error: expect.any(String) });
    expect(pulled).toBeLessThanOrEqual(body.MAX_BODY_BYTES + 3 * chunk.byteLength);
    await expectNothingCreated();
  });

  it("accepts a body of exactly the cap, and an empty one; the checks above would have seen them", async () => {
    const { document, dataroom } = endpoints();
    const payload = '{"requestId":"at-the-cap"}';
    const atCap = payload + " ".repeat(body.MAX_BODY_BYTES - payload.length);
    const created = await send(document, { body: atCap });
    expect(created.status).toBe(202);
    const bare = await send(dataroom);
    expect(bare.status).toBe(202);
    const ids = [((await created.json()) as { exportId: string }).exportId, ((await bare.json()) as { exportId: string }).exportId];

    const store = services.getJobStore();
    expect((await store.list({ teamId: ours.team.id }, { limit: 100 })).items.map((j) => j.id).sort()).toEqual([...ids].sort());
    expect(await db.exportAuditEvent.count({ where: { teamId: ours.team.id } })).toBe(2);
    const app = await import("./support/export-app");
    await app.waitFor(async () => ids.every((id) => harness.executor.runs().some((r) => r.event.data.exportId === id)), 10_000);
    const { waitForExport } = await import("~/server/exports/manage-export");
    for (const id of ids) expect((await waitForExport(ours.team.id, id, { timeoutMs: 30_000 })).status).toBe("COMPLETED");
    const objects = await services.getStorage().client.send(new ListObjectsV2Command({ Bucket: harness.bucket }));
    expect(objects.KeyCount).toBe(2);
  });
});

describe("HTTP methods", () => {
  // DESIGN.md's methods per route file; Next answers HEAD from GET and OPTIONS by itself.
  const documented: [string, () => Promise<Record<string, unknown>>, string[]][] = [
    // HEAD is refused explicitly there (see the test below).
    ["/api/v2/metric_files/[id]/download", () => import("~/app/api/v2/metric_files/[id]/download/route"), ["GET", "HEAD"]],
    ["/api/v2/metrics/[id]/download", () => import("~/app/api/v2/metrics/[id]/download/route"), ["GET", "HEAD"]],
    ["/api/teams/[teamId]/documents/[id]/export-visits", () => import("~/app/api/teams/[teamId]/documents/[id]/export-visits/route"), ["GET", "POST"]],
    ["/api/teams/[teamId]/documents/[id]/views-count", () => import("~/app/api/teams/[teamId]/documents/[id]/views-count/route"), ["GET"]],
    ["/api/teams/[teamId]/datarooms/[id]/export-visits", () => import("~/app/api/teams/[teamId]/datarooms/[id]/export-visits/route"), ["GET", "POST"]],
    ["/api/teams/[teamId]/datarooms/[id]/views-count", () => import("~/app/api/teams/[teamId]/datarooms/[id]/views-count/route"), ["GET"]],
    ["/api/teams/[teamId]/datarooms/[id]/groups/[groupId]/export-visits", () => import("~/app/api/teams/[teamId]/datarooms/[id]/groups/[groupId]/export-visits/route"), ["GET", "POST"]],
    ["/api/teams/[teamId]/export-jobs", () => import("~/app/api/teams/[teamId]/export-jobs/route"), ["GET"]],
    ["/api/teams/[teamId]/export-jobs/[exportId]", () => import("~/app/api/teams/[teamId]/export-jobs/[exportId]/route"), ["DELETE", "GET", "PATCH"]],
  ];
  const httpMethods = ["GET", "HEAD", "OPTIONS", "POST", "PUT", "DELETE", "PATCH"];

  it.each(documented)("%s exports only its documented methods, and Next answers 405 to the rest", async (_path, load, methods) => {
    const mod = await load();
    expect(Object.keys(mod).filter((k) => httpMethods.includes(k)).sort()).toEqual(methods);

    const resolved = autoImplementMethods(mod as Parameters<typeof autoImplementMethods>[0]);
    const req = new Request("http://test/x");
    for (const method of httpMethods) {
      if (methods.includes(method)) continue;
      if (method === "HEAD" && methods.includes("GET")) {
        expect(resolved.HEAD, "HEAD is answered by GET").toBe(mod.GET);
        continue;
      }
      const handler = resolved[method as keyof typeof resolved] as (req: Request) => Promise<Response> | Response;
      const response = await handler(req);
      if (method === "OPTIONS") {
        expect(response.status).toBe(204);
        const allow = [...new Set(["OPTIONS", ...methods, ...(methods.includes("GET") ? ["HEAD"] : [])])].sort().join(", ");
        expect(response.headers.get("allow")).toBe(allow);
      } else {
        expect(response.status, method).toBe(405);
      }
    }
  });

  it("refuses HEAD on the metric download, which Next would answer by running GET and so starting an export", async () => {
    for (const route of [routes.download, routes.alias]) {
      const response = route.HEAD();
      expect(response.status).toBe(405);
      expect(response.headers.get("allow")).toBe("GET");
      expect(await response.json()).toEqual({ code: "method_not_allowed", message: "Use GET on this endpoint", error: "Use GET on this endpoint" });
    }
  });
});
