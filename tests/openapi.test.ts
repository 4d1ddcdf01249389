/**
 * The OpenAPI document (src/server/rest/openapi.ts) against the API as it is: every REST route
 * file is described with the methods it exports, and every documented operation is called for
 * real (the export harness: local executor, s3rver, PostgreSQL, Redis), each answer checked
 * against the schema and headers the document gives for its status; and the schedule webhook
 * it documents is received from a real run and checked the same way.
 */
import { createHmac, randomUUID } from "node:crypto";
import { readdirSync } from "node:fs";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import path from "node:path";

import Ajv2020 from "ajv/dist/2020";
import addFormats from "ajv-formats";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

import { type ExportHarness, startExportHarness } from "./support/export-harness";
import { restError } from "./support/rest-error";
import { TEST_SOURCE_DATABASE_URL as PG_URL } from "./support/test-env";

const REST_CALLS_PER_MINUTE = 40;
const HTTP_METHODS = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"];

type Doc = ReturnType<typeof import("~/server/rest/openapi").openApiDocument>;
type Operation = { operationId: string; responses: Record<string, Record<string, unknown>> };
type Handler = (req: Request, ctx: { params: Promise<Record<string, string>> }) => Promise<Response> | Response;

let harness: ExportHarness;
let doc: Doc;
let app: typeof import("./support/export-app");
let fixtures: typeof import("./support/fixtures");
let visits: typeof import("./support/visit-fixtures");
let routes: Record<string, Record<string, Handler>>;
const ajv = addFormats(new Ajv2020({ strict: false, allErrors: true }));
const exercised = new Set<string>();

/** The REST route files, as OpenAPI paths: `[teamId]` becomes `{teamId}`. */
function restRouteFiles(): Map<string, string> {
  const root = path.resolve("src/app");
  const files = readdirSync(path.join(root, "api"), { recursive: true, encoding: "utf8" })
    .filter((f) => f.endsWith("route.ts"))
    .map((f) => path.join("api", f))
    .filter((f) => !/^api\/(auth|trpc|inngest|health|openapi\.json)\//.test(f));
  return new Map(files.map((f) => [`/${path.dirname(f).replace(/\[(\w+)\]/g, "{$1}")}`, f]));
}

function operation(apiPath: string, method: string): Operation {
  const op = (doc.paths as Record<string, Record<string, Operation>>)[apiPath]?.[method.toLowerCase()];
  if (!op) throw new Error(`${method} ${apiPath} is not in the document`);
  return op;
}

/** A documented response, with a `$ref` to components.responses followed. */
function documentedResponse(apiPath: string, method: string, status: number) {
  const response = operation(apiPath, method).responses[String(status)];
  expect(response, `${method} ${apiPath} documents ${status}`).toBeDefined();
  const target = typeof response!.$ref === "string" ? (doc.components.responses as Record<string, Record<string, unknown>>)[response!.$ref.split("/").pop()!] : response;
  return target as { content?: Record<string, { schema: object }>; headers?: Record<string, unknown> };
}

/** Calls a route handler as Next does, and checks the answer against the document. */
async function call(apiPath: string, method: string, params: Record<string, string>, init: RequestInit & { query?: string } = {}) {
  const handler = routes[apiPath]?.[method];
  if (!handler) throw new Error(`no ${method} handler for ${apiPath}`);
  const url = `http://test${apiPath.replace(/\{(\w+)\}/g, (_, name: string) => encodeURIComponent(params[name] ?? ""))}${init.query ?? ""}`;
  const response = await handler(new Request(url, { ...init, method }), { params: Promise.resolve(params) });
  const documented = documentedResponse(apiPath, method, response.status);
  for (const header of Object.keys(documented.headers ?? {})) {
    expect(response.headers.get(header), `${method} ${apiPath} ${response.status} sends ${header}`).not.toBeNull();
  }
  const schema = documented.content?.["application/json"]?.schema;
  let body: unknown;
  if (schema) {
    body = await response.json();
    const validate = ajv.compile({ ...schema, components: doc.components });
    expect(validate(body), `${method} ${apiPath} ${response.status}: ${ajv.errorsText(validate.errors)} in ${JSON.stringify(body)}`).toBe(true);
  } else {
    expect(await response.text(), `${method} ${apiPath} ${response.status} has no documented body`).toBe("");
  }
  exercised.add(`${method} ${apiPath} ${response.status}`);
  return { status: response.status, body: body as Record<string, unknown>, headers: response.headers };
}

const bearer = (token: string, extra: RequestInit = {}) => ({ ...extra, headers: { authorization: `Bearer ${token}`, ...(extra.headers as Record<string, string>) } });

const METRIC = "/api/v2/metric_files/{id}/download";
const ALIAS = "/api/v2/metrics/{id}/download";
const DOCUMENT = "/api/teams/{teamId}/documents/{id}/export-visits";
const DATAROOM = "/api/teams/{teamId}/datarooms/{id}/export-visits";
const GROUP = "/api/teams/{teamId}/datarooms/{id}/groups/{groupId}/export-visits";
const DOCUMENT_COUNT = "/api/teams/{teamId}/documents/{id}/views-count";
const DATAROOM_COUNT = "/api/teams/{teamId}/datarooms/{id}/views-count";
const JOBS = "/api/teams/{teamId}/export-jobs";
const JOB = "/api/teams/{teamId}/export-jobs/{exportId}";
const SCHEDULES = "/api/teams/{teamId}/schedules";
const SCHEDULE = "/api/teams/{teamId}/schedules/{scheduleId}";
const SCHEDULE_RUN = "/api/teams/{teamId}/schedules/{scheduleId}/run";
const SCHEDULE_RUNS = "/api/teams/{teamId}/schedules/{scheduleId}/runs";
const SEND_EMAIL = "/api/teams/{teamId}/export-jobs/{exportId}/send-email";

beforeAll(async () => {
  harness = await startExportHarness({
    env: { EXPORT_REST_WAIT_MS: "1500", RATE_LIMIT_REST_PER_TOKEN_PER_MINUTE: String(REST_CALLS_PER_MINUTE) },
  });
  doc = (await import("~/server/rest/openapi")).openApiDocument();
  app = await import("./support/export-app");
  fixtures = await import("./support/fixtures");
  visits = await import("./support/visit-fixtures");
  routes = {};
  for (const [apiPath, file] of restRouteFiles()) {
    routes[apiPath] = (await import(`../src/app/${file.replace(/\.ts$/, "")}`)) as Record<string, Handler>;
  }
}, 120_000);

afterAll(async () => {
  await harness?.close();
});

describe("the document", () => {
  it("is served at /api/openapi.json as OpenAPI 3.1 with a bearer scheme", async () => {
    const route = await import("~/app/api/openapi.json/route");
    const served = (await route.GET().json()) as Doc;
    expect(served).toEqual(JSON.parse(JSON.stringify(doc)));
    expect(served.openapi).toBe("3.1.0");
    expect(served.components.securitySchemes.apiToken).toMatchObject({ type: "http", scheme: "bearer" });
    const ids = Object.values(served.paths).flatMap((ops) => Object.values(ops as Record<string, Operation>).map((op) => op.operationId));
    expect(new Set(ids).size).toBe(ids.length);
    // Every $ref points at something that exists.
    const refs = [...JSON.stringify(served).matchAll(/"\$ref":"#\/([^"]+)"/g)].map((m) => m[1]!);
    for (const ref of refs) {
      const target = ref.split("/").reduce<unknown>((node, key) => (node as Record<string, unknown> | undefined)?.[key], served);
      expect(target, ref).toBeDefined();
    }
  });

  it("describes every REST route file with exactly the methods it exports", () => {
    const files = restRouteFiles();
    expect([...files.keys()].sort()).toEqual(Object.keys(doc.paths).sort());
    for (const [apiPath, handlers] of Object.entries(routes)) {
      const exported = Object.keys(handlers).filter((k) => HTTP_METHODS.includes(k)).sort();
      const documented = Object.keys((doc.paths as Record<string, object>)[apiPath]!).map((m) => m.toUpperCase()).sort();
      expect(documented, apiPath).toEqual(exported);
    }
  });
});

describe("real answers match it", () => {
  it("metric download: 200, 400 (bad id, failed query), 401, 403, 404, 504, and 405 for HEAD", async () => {
    const team = await app.teamWithSource("POSTGRES", { url: PG_URL });
    const token = await fixtures.tokenFor(team.user.id, team.id);
    const good = await team.metric("SELECT g AS n FROM generate_series(1, 3) g");
    for (const apiPath of [METRIC, ALIAS]) {
      expect((await call(apiPath, "GET", { id: good.id }, bearer(token))).status).toBe(200);
      expect((await call(apiPath, "HEAD", { id: good.id }, bearer(token))).status).toBe(405);
    }
    const broken = await team.metric("SELECT * FROM no_such_table_for_openapi");
    expect((await call(METRIC, "GET", { id: broken.id }, bearer(token))).body).toMatchObject({ code: "query_failed" });
    expect((await call(METRIC, "GET", { id: "not/an id" }, bearer(token))).body).toMatchObject({ code: "bad_request" });
    expect((await call(METRIC, "GET", { id: good.id })).status).toBe(401);
    const stranger = await fixtures.createTeamWithUser("OWNER");
    expect((await call(METRIC, "GET", { id: good.id }, bearer(await fixtures.tokenFor(stranger.user.id, stranger.team.id)))).status).toBe(403);
    expect((await call(METRIC, "GET", { id: "no-such-metric" }, bearer(token))).status).toBe(404);

    const slow = await team.metric("SELECT pg_sleep(3), 1 AS done");
    const timedOut = await call(METRIC, "GET", { id: slow.id }, bearer(token));
    expect(timedOut.status).toBe(504);
    const { exportId } = timedOut.body as { exportId: string };
    // Still running: its file cannot be downloaded yet.
    expect((await call(JOB, "GET", { teamId: team.id, exportId }, bearer(token))).status).toBe(200);
    expect((await call(JOB, "GET", { teamId: team.id, exportId }, { ...bearer(token), query: "?download=true" })).status).toBe(409);
  });

  it("visit exports: 202, 400 (unknown field, bad id), 401, 403, 404, 413", async () => {
    const seeded = await visits.seedVisits({ views: 2 });
    const token = await fixtures.tokenFor(seeded.user.id, seeded.team.id);
    const teamId = seeded.team.id;
    const post = (body?: string) => bearer(token, body === undefined ? {} : { body, headers: { "content-type": "application/json" } });
    expect((await call(DOCUMENT, "POST", { teamId, id: seeded.document.id }, post())).status).toBe(202);
    expect((await call(DATAROOM, "POST", { teamId, id: seeded.dataroom.id }, post('{"requestId":"openapi-1"}'))).status).toBe(202);
    expect((await call(GROUP, "POST", { teamId, id: seeded.dataroom.id, groupId: seeded.investors.id }, post())).status).toBe(202);

    const unknownField = await call(DATAROOM, "POST", { teamId, id: seeded.dataroom.id }, post('{"format":"docx"}'));
    expect(unknownField.body).toMatchObject({ code: "bad_request", issues: [{ path: "format" }] });
    expect((await call(GROUP, "POST", { teamId, id: seeded.dataroom.id, groupId: "bad id" }, post())).status).toBe(400);
    expect((await call(DOCUMENT, "POST", { teamId, id: seeded.document.id })).status).toBe(401);
    const stranger = await fixtures.createTeamWithUser("OWNER");
    const strangerToken = await fixtures.tokenFor(stranger.user.id, stranger.team.id);
    expect((await call(DATAROOM, "POST", { teamId, id: seeded.dataroom.id }, bearer(strangerToken))).status).toBe(403);
    expect((await call(DOCUMENT, "POST", { teamId, id: "no-such-document" }, post())).status).toBe(404);
    const oversized = await call(DOCUMENT, "POST", { teamId, id: seeded.document.id }, post(JSON.stringify({ requestId: "x".repeat(20_000) })));
    expect(oversized.body).toMatchObject({ code: "payload_too_large" });
  });

  it("export jobs: list, status, 302 download, delete, and their errors", async () => {
    const seeded = await visits.seedVisits({ views: 2 });
    const token = await fixtures.tokenFor(seeded.user.id, seeded.team.id);
    const teamId = seeded.team.id;
    const created = await call(DATAROOM, "POST", { teamId, id: seeded.dataroom.id }, bearer(token));
    const exportId = created.body.exportId as string;
    await app.waitFor(async () => (await call(JOB, "GET", { teamId, exportId }, bearer(token))).body.status === "COMPLETED", 30_000);

    const list = await call(JOBS, "GET", { teamId }, { ...bearer(token), query: "?limit=10" });
    expect(list.body).toMatchObject({ jobs: [{ id: exportId, status: "COMPLETED" }], total: 1, nextOffset: null });
    expect((await call(JOBS, "GET", { teamId }, { ...bearer(token), query: "?limit=1000" })).status).toBe(400);
    expect((await call(JOBS, "GET", { teamId })).status).toBe(401);
    const stranger = await fixtures.createTeamWithUser("OWNER");
    expect((await call(JOBS, "GET", { teamId }, bearer(await fixtures.tokenFor(stranger.user.id, stranger.team.id)))).status).toBe(403);

    // Asking for an email once the export has ended; its 202 is checked by tests/export-email.test.ts, where email is set up.
    const late = await call(SEND_EMAIL, "POST", { teamId, exportId }, bearer(token, { method: "POST" }));
    expect(late.status).toBe(409);
    expect((await call(SEND_EMAIL, "POST", { teamId, exportId: "no-such-export" }, bearer(token, { method: "POST" }))).status).toBe(404);
    expect((await call(SEND_EMAIL, "POST", { teamId, exportId }, { method: "POST" })).status).toBe(401);

    const download = await call(JOB, "GET", { teamId, exportId }, { ...bearer(token), query: "?download=true" });
    expect(download.status).toBe(302);
    expect(new URL(download.headers.get("location")!).searchParams.get("X-Amz-Expires")).toBe("60");
    expect((await call(JOB, "GET", { teamId, exportId }, { ...bearer(token), query: "?download=yes" })).status).toBe(400);

    expect((await call(JOB, "DELETE", { teamId, exportId }, bearer(token))).status).toBe(204);
    expect((await call(JOB, "GET", { teamId, exportId }, bearer(token))).status).toBe(404);
    expect((await call(JOB, "DELETE", { teamId, exportId }, bearer(token))).status).toBe(404);
    expect((await call(JOB, "DELETE", { teamId, exportId: "bad id" }, bearer(token))).status).toBe(400);
    expect((await call(JOB, "DELETE", { teamId, exportId })).status).toBe(401);
    expect((await call(JOB, "GET", { teamId, exportId })).status).toBe(401);
  });

  it("Papermark's modal: resource lists, views counts, cancel (200, 409) and a file that is gone (410)", async () => {
    const seeded = await visits.seedVisits({ views: 3 });
    const token = await fixtures.tokenFor(seeded.user.id, seeded.team.id);
    const teamId = seeded.team.id;
    const room = { teamId, id: seeded.dataroom.id };
    expect((await call(DOCUMENT_COUNT, "GET", { teamId, id: seeded.document.id }, bearer(token))).body).toEqual({ count: 3 });
    expect((await call(DATAROOM_COUNT, "GET", room, { ...bearer(token), query: `?groupId=${seeded.investors.id}` })).status).toBe(200);
    expect((await call(DATAROOM_COUNT, "GET", room, { ...bearer(token), query: "?groupId=a%20b" })).status).toBe(400);
    expect((await call(DOCUMENT_COUNT, "GET", { teamId, id: "no-such-document" }, bearer(token))).status).toBe(404);

    // A job still waiting for its run (one that was never queued, so that no run can finish it first): cancelled, 200; again, 409.
    const { getJobStore } = await import("~/server/services");
    const exportId = randomUUID();
    await getJobStore().create({ id: exportId, type: "document", resourceId: seeded.document.id, resourceName: seeded.document.name, userId: seeded.user.id, teamId });
    expect((await call(JOB, "PATCH", { teamId, exportId }, bearer(token))).status).toBe(200);
    expect((await call(JOB, "PATCH", { teamId, exportId }, bearer(token))).status).toBe(409);
    expect((await call(JOB, "PATCH", { teamId, exportId: "no-such-export" }, bearer(token))).status).toBe(404);
    expect((await call(JOB, "GET", { teamId, exportId }, { ...bearer(token), query: "?download=true" })).status).toBe(410);

    const finished = (await call(GROUP, "POST", { ...room, groupId: seeded.investors.id }, bearer(token))).body.exportId as string;
    await app.waitFor(async () => (await call(JOB, "GET", { teamId, exportId: finished }, bearer(token))).body.isReady === true, 30_000);
    expect((await call(GROUP, "GET", { ...room, groupId: seeded.investors.id }, bearer(token))).body).toMatchObject([{ id: finished, result: expect.any(String) }]);
    expect((await call(DATAROOM, "GET", room, bearer(token))).body).toEqual([]);
    expect((await call(DOCUMENT, "GET", { teamId, id: seeded.document.id }, bearer(token))).body).toMatchObject([{ id: exportId, status: "CANCELLED" }]);
    expect((await call(DOCUMENT, "GET", { teamId, id: "no-such-document" }, bearer(token))).status).toBe(404);
  });

  it("schedules: create 201 with signingSecret, list, get, change, run 202, runs, delete, and their errors", async () => {
    const seeded = await visits.seedVisits({ views: 1 });
    const token = await fixtures.tokenFor(seeded.user.id, seeded.team.id);
    const teamId = seeded.team.id;
    const send = (body: unknown, as = token) => bearer(as, { body: JSON.stringify(body), headers: { "content-type": "application/json" } });
    const schedule = {
      name: "Weekly",
      export: { kind: "document", documentId: seeded.document.id },
      format: "csv",
      cron: "0 9 * * 1",
      timezone: "Europe/Paris",
      enabled: true,
      destinations: [{ type: "webhook", url: "http://127.0.0.1:9/hook" }],
    };
    const created = await call(SCHEDULES, "POST", { teamId }, send(schedule));
    expect(created.status).toBe(201);
    expect(created.body.signingSecret).toMatch(/^whsec_/);
    const scheduleId = created.body.id as string;
    const badCron = await call(SCHEDULES, "POST", { teamId }, send({ ...schedule, cron: "61 * * * *" }));
    expect(badCron.status).toBe(400);
    expect(restError(badCron.body).message).toMatch(/^cron: /);
    const member = await fixtures.addMember(teamId, "MEMBER");
    const memberToken = await fixtures.tokenFor(member.id, teamId);
    expect((await call(SCHEDULES, "POST", { teamId }, send(schedule, memberToken))).status).toBe(403);
    expect((await call(SCHEDULES, "POST", { teamId }, send({ ...schedule, export: { kind: "document", documentId: "no-such-document" } }))).status).toBe(404);
    expect((await call(SCHEDULES, "GET", { teamId })).status).toBe(401);

    const list = await call(SCHEDULES, "GET", { teamId }, bearer(memberToken));
    expect(list.body.schedules).toMatchObject([{ id: scheduleId, destinations: [{ type: "webhook", url: "http://127.0.0.1:9/hook" }] }]);
    expect(JSON.stringify(list.body)).not.toContain(created.body.signingSecret as string);
    expect((await call(SCHEDULE, "GET", { teamId, scheduleId }, bearer(token))).body).toMatchObject({ id: scheduleId, name: "Weekly" });
    expect((await call(SCHEDULE, "GET", { teamId, scheduleId: "no-such-schedule" }, bearer(token))).status).toBe(404);
    const changed = await call(SCHEDULE, "PATCH", { teamId, scheduleId }, send({ name: "Monday mornings", enabled: false }));
    expect(changed.body).toMatchObject({ name: "Monday mornings", enabled: false, nextRunAt: null });

    const run = await call(SCHEDULE_RUN, "POST", { teamId, scheduleId }, bearer(memberToken));
    expect(run.status).toBe(202);
    const runs = await call(SCHEDULE_RUNS, "GET", { teamId, scheduleId }, { ...bearer(token), query: "?limit=5" });
    expect(runs.body).toMatchObject({ runs: [{ exportId: run.body.exportId }], total: 1, nextOffset: null });
    expect((await call(SCHEDULE_RUNS, "GET", { teamId, scheduleId }, { ...bearer(token), query: "?limit=500" })).status).toBe(400);

    expect((await call(SCHEDULE, "DELETE", { teamId, scheduleId }, bearer(memberToken))).status).toBe(403);
    expect((await call(SCHEDULE, "DELETE", { teamId, scheduleId }, bearer(token))).status).toBe(204);
    expect((await call(SCHEDULE_RUN, "POST", { teamId, scheduleId }, bearer(token))).status).toBe(404);
  });

  it("the schedule webhook: a real delivery's body and signature are as webhooks.scheduleRun documents them", async () => {
    const received: { signature: string | undefined; body: string }[] = [];
    const receiver = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on("data", (c: Buffer) => chunks.push(c));
      req.on("end", () => {
        received.push({ signature: req.headers["x-export-center-signature"] as string | undefined, body: Buffer.concat(chunks).toString("utf8") });
        res.writeHead(204).end();
      });
    });
    await new Promise<void>((r) => receiver.listen(0, "127.0.0.1", r));
    try {
      const seeded = await visits.seedVisits({ views: 1 });
      const token = await fixtures.tokenFor(seeded.user.id, seeded.team.id);
      const teamId = seeded.team.id;
      const url = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook`;
      const schedule = { name: "Hooked", export: { kind: "document", documentId: seeded.document.id }, format: "csv", cron: "0 9 * * 1", timezone: "UTC", enabled: true, destinations: [{ type: "webhook", url }] };
      const created = await call(SCHEDULES, "POST", { teamId }, bearer(token, { body: JSON.stringify(schedule), headers: { "content-type": "application/json" } }));
      const run = await call(SCHEDULE_RUN, "POST", { teamId, scheduleId: created.body.id as string }, bearer(token));
      await app.waitFor(async () => received.length > 0, 60_000, 200);

      const hook = doc.webhooks.scheduleRun.post;
      const validate = ajv.compile({ ...hook.requestBody.content["application/json"].schema, components: doc.components });
      const body = JSON.parse(received[0]!.body) as unknown;
      expect(validate(body), ajv.errorsText(validate.errors)).toBe(true);
      expect(body).toMatchObject({ event: "export.completed", scheduleId: created.body.id, exportId: run.body.exportId, teamId, status: "COMPLETED", error: null });
      const header = hook.parameters[0]!;
      expect(header.name.toLowerCase()).toBe("x-export-center-signature");
      expect(received[0]!.signature).toMatch(new RegExp(header.schema.pattern));
      expect(received[0]!.signature).toBe(`sha256=${createHmac("sha256", created.body.signingSecret as string).update(received[0]!.body).digest("hex")}`);
    } finally {
      await new Promise((r) => receiver.close(r));
    }
  });

  it("answers 429 with the documented rate-limit headers once a token is over its limit", async () => {
    const { team, user } = await fixtures.createTeamWithUser("OWNER");
    const token = await fixtures.tokenFor(user.id, team.id);
    let last = await call(JOBS, "GET", { teamId: team.id }, bearer(token));
    for (let i = 0; i < REST_CALLS_PER_MINUTE && last.status === 200; i++) last = await call(JOBS, "GET", { teamId: team.id }, bearer(token));
    expect(last.status).toBe(429);
    expect(last.body).toMatchObject({ code: "rate_limited" });
    expect(Number(last.headers.get("retry-after"))).toBeGreaterThan(0);
  });

  it("covers every documented operation", () => {
    for (const [apiPath, operations] of Object.entries(doc.paths)) {
      for (const method of Object.keys(operations)) {
        const calls = [...exercised].filter((key) => key.startsWith(`${method.toUpperCase()} ${apiPath} `));
        expect(calls.length, `${method.toUpperCase()} ${apiPath} was called`).toBeGreaterThan(0);
      }
    }
    // Every status a documented response can be reached with in these tests was.
    for (const key of ["GET /api/v2/metric_files/{id}/download 504", "GET /api/teams/{teamId}/export-jobs/{exportId} 302", "POST /api/teams/{teamId}/documents/{id}/export-visits 413", "GET /api/teams/{teamId}/export-jobs 429", "GET /api/teams/{teamId}/export-jobs/{exportId} 410", "PATCH /api/teams/{teamId}/export-jobs/{exportId} 409"]) {
      expect(exercised).toContain(key);
    }
  });
});
