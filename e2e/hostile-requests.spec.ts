/**
 * Hostile requests against the built app as `npm start` serves it (scripts/serve.ts in front
 * of Next): malformed percent-escapes, dot segments, methods Next cannot route, and tRPC
 * bodies past their cap. Each is sent byte for byte (support/raw-http.ts), since every HTTP
 * client would normalise or refuse it before it left.
 */
import { expect, type Page, test } from "@playwright/test";

import { rawRequest, streamBodyUntilAnswered } from "./support/raw-http";
import { jobCount, listObjects, query } from "./support/services";
import { DEMO_TEAM_ID, signInAsDemo } from "./support/session";

const DATAROOM = "seed_dataroom_series_a";
const GROUP = "seed_group_investors";
const EXPORT_ID = "00000000-0000-4000-8000-000000000000";

async function sessionCookie(page: Page): Promise<string> {
  await signInAsDemo(page);
  const cookies = await page.context().cookies();
  return cookies.map((c) => `${c.name}=${c.value}`).join("; ");
}

/** A REST error body's code and message; `error` must repeat the message (what Papermark shows). */
function errorBody(body: string) {
  const parsed = JSON.parse(body) as { code: string; message: string; error: string };
  expect(parsed.error).toBe(parsed.message);
  return { code: parsed.code, message: parsed.message };
}

test("a malformed percent-escape in any path is a 400 in the error shape, not Next's plain-text 500", async () => {
  const apiPaths = [
    "/api/v2/metric_files/%ZZ/download",
    "/api/v2/metric_files/%FF/download",
    "/api/v2/metric_files/%C0%AF/download",
    "/api/v2/metric_files/%/download",
    `/api/teams/${DEMO_TEAM_ID}/export-jobs/%E0%A4%A`,
    "/api/trpc/exports.get%FF",
  ];
  for (const path of apiPaths) {
    const answer = await rawRequest("GET", path);
    expect(answer.status, path).toBe(400);
    expect(answer.headers["content-type"], path).toContain("application/json");
    expect(errorBody(answer.body), path).toEqual({ code: "bad_request", message: expect.stringContaining("percent-escape") as unknown });
  }
  for (const path of ["/%ZZ", "/signin%FF", `/${DEMO_TEAM_ID}/exports/%C0%AF`, "/_next/static/%"]) {
    const answer = await rawRequest("GET", path);
    expect(answer.status, path).toBe(400);
    expect(answer.headers["content-type"], path).toContain("text/html");
    expect(answer.body, path).toContain("400: Bad request");
  }
  // A well-formed escape still reaches its route.
  const fine = await rawRequest("GET", "/api/v2/metric_files/%61bc/download");
  expect(fine.status).toBe(401);
});

const routes = [
  { path: "/api/trpc/exports.list", allow: "GET, POST" },
  { path: "/api/v2/metric_files/m1/download", allow: "GET" },
  { path: "/api/v2/metrics/m1/download", allow: "GET" },
  { path: `/api/teams/${DEMO_TEAM_ID}/documents/d1/export-visits`, allow: "GET, POST" },
  { path: `/api/teams/${DEMO_TEAM_ID}/documents/d1/views-count`, allow: "GET" },
  { path: `/api/teams/${DEMO_TEAM_ID}/datarooms/${DATAROOM}/export-visits`, allow: "GET, POST" },
  { path: `/api/teams/${DEMO_TEAM_ID}/datarooms/${DATAROOM}/views-count`, allow: "GET" },
  { path: `/api/teams/${DEMO_TEAM_ID}/datarooms/${DATAROOM}/groups/${GROUP}/export-visits`, allow: "GET, POST" },
  { path: `/api/teams/${DEMO_TEAM_ID}/export-jobs`, allow: "GET" },
  { path: `/api/teams/${DEMO_TEAM_ID}/export-jobs/${EXPORT_ID}`, allow: "GET, PATCH, DELETE" },
];

test("TRACE, CONNECT, WebDAV and unknown methods get 405 with Allow on every REST route and on /api/trpc", async () => {
  for (const route of routes) {
    const refused = ["TRACE", "TRACK", "CONNECT", "PROPFIND", "FOO", "PUT", "PATCH", "DELETE", "POST", "GET"].filter(
      (method) => !route.allow.split(", ").includes(method),
    );
    for (const method of refused) {
      const answer = await rawRequest(method, route.path);
      const what = `${method} ${route.path}`;
      expect(answer.status, what).toBe(405);
      expect(answer.headers.allow, what).toBe(route.allow);
      expect(errorBody(answer.body), what).toEqual({ code: "method_not_allowed", message: `${method} is not allowed here; use ${route.allow.replaceAll(", ", " or ")}` });
    }
  }
  // Pages are refused too, with a page; what they serve still works.
  const trace = await rawRequest("TRACE", "/signin");
  expect(trace.status).toBe(405);
  expect(trace.headers.allow).toBe("GET, HEAD, POST");
  expect((await rawRequest("GET", "/signin")).status).toBe(200);
  expect((await rawRequest("GET", "/api/health")).status).toBe(200);
});

test("a '.' or '..' segment in any spelling is refused before routing, and nothing is created", async ({ page }) => {
  const cookie = await sessionCookie(page);
  const before = { jobs: await jobCount(DEMO_TEAM_ID), audit: await auditCount(), objects: (await listObjects(`exports/${DEMO_TEAM_ID}/`)).length };
  const base = `/api/teams/${DEMO_TEAM_ID}/datarooms/${DATAROOM}`;
  const dotted = [
    `${base}/groups/%2e%2e/export-visits`,
    `${base}/groups/%2E%2e/export-visits`,
    `${base}/groups/.%2E/export-visits`,
    `${base}/groups/../export-visits`,
    `${base}/groups/${GROUP}/%2e/export-visits`,
    `/api/teams/${DEMO_TEAM_ID}/documents/%2e%2e/datarooms/${DATAROOM}/export-visits`,
    `/api/teams/${DEMO_TEAM_ID}/export-jobs/%2e%2e`,
  ];
  for (const path of dotted) {
    const answer = await rawRequest("POST", path, { headers: { Cookie: cookie, "Content-Type": "application/json" }, body: "{}" });
    expect(answer.status, path).toBe(400);
    expect(errorBody(answer.body), path).toEqual({ code: "bad_request", message: expect.stringContaining("'.' or '..' segment") as unknown });
  }
  expect(await jobCount(DEMO_TEAM_ID)).toBe(before.jobs);
  expect(await auditCount()).toBe(before.audit);
  expect((await listObjects(`exports/${DEMO_TEAM_ID}/`)).length).toBe(before.objects);

  // The same request with the group's id is served and shows in all three, so the counts above would have seen it.
  const served = await rawRequest("POST", `${base}/groups/${GROUP}/export-visits`, { headers: { Cookie: cookie, "Content-Type": "application/json" }, body: "{}" });
  expect(served.status).toBe(202);
  const { exportId } = JSON.parse(served.body) as { exportId: string };
  expect(await jobCount(DEMO_TEAM_ID)).toBe(before.jobs + 1);
  expect(await auditCount()).toBe(before.audit + 1);
  await expect.poll(async () => (await listObjects(`exports/${DEMO_TEAM_ID}/`)).length, { timeout: 30_000 }).toBe(before.objects + 1);
  const [job] = await query<{ outcome: string }>(`SELECT outcome FROM "ExportAuditEvent" WHERE "exportId" = $1`, [exportId]);
  expect(job?.outcome).toBeDefined();
});

async function auditCount(): Promise<number> {
  const [row] = await query<{ n: string }>(`SELECT count(*) AS n FROM "ExportAuditEvent" WHERE "teamId" = $1`, [DEMO_TEAM_ID]);
  return Number(row?.n ?? 0);
}

test.describe("a tRPC body over 1 MB", () => {
  const total = 64 * 1024 * 1024;
  let cookie = "";
  test.beforeEach(async ({ page }) => {
    cookie = await sessionCookie(page);
  });

  async function expectRefusedBeforeRead(headers: Record<string, string>, sendBytes = total) {
    const { answer, bytesWritten } = await streamBodyUntilAnswered("/api/trpc/metrics.create", {
      headers: { Cookie: cookie, "Content-Type": "application/json", ...headers },
      total: sendBytes,
    });
    expect(answer.status).toBe(413);
    const body = JSON.parse(answer.body) as { error: { json: { message: string; data: { code: string; httpStatus: number } } } };
    expect(body.error.json.data).toMatchObject({ code: "PAYLOAD_TOO_LARGE", httpStatus: 413 });
    expect(body.error.json.message).toBe("The request body is larger than 1048576 bytes");
    return bytesWritten;
  }

  test("sent chunked, with no Content-Length, is cut off at the cap while it streams", async () => {
    // The request is never finished: only a server that stops at the cap can answer it, and
    // the socket takes far less than the 64 MB offered.
    expect(await expectRefusedBeforeRead({ "Transfer-Encoding": "chunked" })).toBeLessThan(total);
  });

  test("declaring its length is refused before any of it is read", async () => {
    expect(await expectRefusedBeforeRead({ "Content-Length": String(total) })).toBeLessThan(total);
  });

  test("with a false Content-Length (64 MB claimed, 2 MB sent and the rest never) is refused all the same", async () => {
    await expectRefusedBeforeRead({ "Content-Length": String(total) }, 2 * 1024 * 1024);
  });

  test("a body under the cap still reaches the procedure", async () => {
    const sql = `SELECT '${"x".repeat(900 * 1024)}'`;
    const answer = await rawRequest("POST", "/api/trpc/metrics.create", {
      headers: { Cookie: cookie, "Content-Type": "application/json" },
      body: JSON.stringify({ json: { teamId: DEMO_TEAM_ID, name: "too long", sql, dataSourceId: "no_such_source" } }),
    });
    expect(answer.status).not.toBe(413);
    expect(answer.status).toBeLessThan(500);
  });
});
