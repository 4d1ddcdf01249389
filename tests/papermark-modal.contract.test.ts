/**
 * Papermark's export modal, replayed against the app as its own code calls it (mfts/papermark
 * @7ff2e65: components/documents/export-visits-modal.tsx, components/datarooms/export-visits-modal.tsx
 * and the routes under pages/api/teams/[teamId]/ that they call). Facts taken from there:
 *
 * - On opening, GET …/export-visits: a bare array; a Download button where
 *   `status === "COMPLETED" && result`; each row shows `status`, `createdAt` (toLocaleString)
 *   and `error`, and names the file after `resourceName`.
 * - Before starting, GET …/views-count (a group's with `?groupId=`), reading `count`.
 * - POST …/export-visits with no body and no headers; it needs `ok` and reads `exportId`.
 * - setInterval every 5 s: GET …/export-jobs/:id; when `ok`, stop and download when
 *   `status === "COMPLETED" && isReady`, stop and toast `error` on `status === "FAILED"`,
 *   anything else polls on until a 10-minute cut-off.
 * - The download is a navigation of an `<a download>` to `…/export-jobs/:id?download=true`.
 * - Cancel is a PATCH with no body; on failure it toasts `errorData.error || "Failed to cancel export"`.
 *
 * Everything is real (the routes over HTTP behind the request gate, the local executor, s3rver,
 * PostgreSQL, Redis) except Tinybird, which nothing here can run: a local fake of its pipe API
 * serves the page durations, and its injected faults make an export slow (429s with
 * Retry-After) or fail (a 400). The modal signs in with its session cookie; the same calls
 * with a Bearer token are replayed too. The cut-off here is 90 s rather than 10 minutes, so
 * that a broken contract fails the test soon.
 */
import type { Server } from "node:http";
import type { AddressInfo } from "node:net";

import { parse } from "csv-parse/sync";
import { encode } from "next-auth/jwt";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

import { FAKE_TINYBIRD_TOKEN, type FakeTinybird, startFakeTinybird } from "../dev/fake-tinybird";
import { type ExportHarness, startExportHarness } from "./support/export-harness";
import { restError } from "./support/rest-error";
import type { SeededView } from "./support/visit-fixtures";

type Handler = (req: Request, ctx: { params: Promise<Record<string, string>> }) => Promise<Response>;
type Json = Record<string, unknown>;

const POLL_MS = 5_000;
const CUT_OFF_MS = 90_000;
/** What Chromium sends when it follows a link. */
const NAVIGATION_ACCEPT = "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,*/*;q=0.8";

let tinybird: FakeTinybird;
let harness: ExportHarness;
let server: Server;
let base: string;
let fixtures: typeof import("./support/fixtures");
let visits: typeof import("./support/visit-fixtures");
let manage: typeof import("~/server/exports/manage-export");
let services: typeof import("~/server/services");
const durations = new Map<string, SeededView["pages"]>();

/** The API's route files, reached the way Next reaches them: the request gate first, then the route's handler for the method. */
async function serveApi() {
  const { apiRoutes, findApiRoute } = await import("~/server/http/api-routes");
  const { refuseBeforeRouting } = await import("~/server/http/request-gate");
  const { serveFetch } = await import("./support/serve-fetch");
  const modules: Record<string, Record<string, Handler>> = {};
  for (const route of apiRoutes.filter((r) => r.path.startsWith("/api/teams/"))) {
    modules[route.path] = (await import(`../src/app${route.path}/route`)) as Record<string, Handler>;
  }
  return serveFetch(async (req) => {
    const url = new URL(req.url);
    const refused = refuseBeforeRouting(req.method, url.pathname + url.search);
    if (refused) return refused;
    const segments = url.pathname.split("/").slice(1);
    const route = findApiRoute(segments);
    const handler = route && modules[route.path]?.[req.method];
    if (!route || !handler) return new Response("no such route in this test's server", { status: 404 });
    const params = Object.fromEntries(
      route.path
        .split("/")
        .slice(1)
        .flatMap((part, i) => (part.startsWith("[") ? [[part.slice(1, -1), decodeURIComponent(segments[i]!)]] : [])),
    );
    return handler(req, { params: Promise.resolve(params) });
  });
}

beforeAll(async () => {
  tinybird = await startFakeTinybird({ latencyMs: 5, durations: (viewId) => durations.get(viewId) });
  harness = await startExportHarness({ env: { TINYBIRD_TOKEN: FAKE_TINYBIRD_TOKEN, TINYBIRD_API_URL: tinybird.url } });
  fixtures = await import("./support/fixtures");
  visits = await import("./support/visit-fixtures");
  manage = await import("~/server/exports/manage-export");
  services = await import("~/server/services");
  server = await serveApi();
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}, 120_000);

afterAll(async () => {
  server?.closeAllConnections();
  await new Promise((resolve) => server?.close(resolve));
  await harness?.close();
  await tinybird?.close();
});

/** A team with a document, a dataroom and its groups, and views whose durations the fake Tinybird serves. */
async function seeded(views = 12) {
  const seed = await visits.seedVisits({ views });
  for (const [id, pages] of visits.durationsOf(seed.views)) durations.set(id, pages);
  return seed;
}

/** What the browser adds to every call of the modal: its session cookie (or, for an API client, a Bearer token). */
async function sessionCookie(userId: string) {
  const name = "authjs.session-token";
  return { cookie: `${name}=${await encode({ token: { sub: userId }, secret: process.env.AUTH_SECRET!, salt: name })}` };
}
const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

type Credentials = Record<string, string>;

/**
 * The modal's calls for one resource: `documents/:id`, `datarooms/:id`, or
 * `datarooms/:id/groups/:groupId` (whose count is the dataroom's with `?groupId=`).
 */
function papermarkModal(teamId: string, resource: { documentId: string } | { dataroomId: string; groupId?: string }, credentials: Credentials) {
  const call = (path: string, init: RequestInit = {}) => fetch(`${base}${path}`, { ...init, headers: { ...credentials, ...(init.headers as Record<string, string>) } });
  const team = `/api/teams/${teamId}`;
  const exportsPath =
    "documentId" in resource
      ? `${team}/documents/${resource.documentId}/export-visits`
      : resource.groupId
        ? `${team}/datarooms/${resource.dataroomId}/groups/${resource.groupId}/export-visits`
        : `${team}/datarooms/${resource.dataroomId}/export-visits`;
  const countPath =
    "documentId" in resource
      ? `${team}/documents/${resource.documentId}/views-count`
      : `${team}/datarooms/${resource.dataroomId}/views-count${resource.groupId ? `?groupId=${resource.groupId}` : ""}`;
  const jobPath = (exportId: string) => `${team}/export-jobs/${exportId}`;

  return {
    call,
    jobPath,
    /** fetchExistingExports: what it keeps when `ok` (setExistingExports(await response.json())). */
    async open() {
      const response = await call(exportsPath, { method: "GET" });
      expect(response.status).toBe(200);
      const exports = (await response.json()) as Json[];
      expect(Array.isArray(exports)).toBe(true);
      return exports;
    },
    async count() {
      const response = await call(countPath, { method: "GET" });
      expect(response.status).toBe(200);
      const viewData = (await response.json()) as Json;
      expect(typeof viewData.count).toBe("number");
      return viewData.count as number;
    },
    async start() {
      const response = await call(exportsPath, { method: "POST" });
      expect(response.ok).toBe(true);
      const data = (await response.json()) as Json;
      expect(typeof data.exportId).toBe("string");
      return data.exportId as string;
    },
    /** The modal's setInterval, to the letter: every 5 s, whatever the previous poll is doing. */
    poll(exportId: string): Promise<{ outcome: "download" | "failed" | "cut-off"; statusData: Json; polledAt: number[]; seen: Json[] }> {
      return new Promise((resolve) => {
        const polledAt: number[] = [];
        const seen: Json[] = [];
        const stop = (outcome: "download" | "failed" | "cut-off", statusData: Json) => {
          clearInterval(interval);
          clearTimeout(cutOff);
          resolve({ outcome, statusData, polledAt, seen });
        };
        const interval = setInterval(async () => {
          try {
            polledAt.push(Date.now());
            const statusResponse = await call(jobPath(exportId), { method: "GET" });
            if (statusResponse.ok) {
              const statusData = (await statusResponse.json()) as Json;
              seen.push(statusData);
              if (statusData.status === "COMPLETED" && statusData.isReady) stop("download", statusData);
              else if (statusData.status === "FAILED") stop("failed", statusData);
            }
          } catch {
            // The modal logs the error and polls on.
          }
        }, POLL_MS);
        const cutOff = setTimeout(() => stop("cut-off", seen.at(-1) ?? {}), CUT_OFF_MS);
      });
    },
    /** The `<a download>` navigation: the app's answer, and (on a 302) the file the browser then fetches from storage. */
    async download(exportId: string) {
      const response = await call(`${jobPath(exportId)}?download=true`, { headers: { accept: NAVIGATION_ACCEPT }, redirect: "manual" });
      if (response.status !== 302) return { response, file: null };
      return { response, file: await fetch(response.headers.get("location")!) };
    },
    /** cancelExport: `ok`, or the toast it shows. */
    async cancel(exportId: string) {
      const response = await call(jobPath(exportId), { method: "PATCH" });
      return { status: response.status, body: (await response.json()) as Json };
    },
  };
}

/** What the modal reads of a listed export, and that the Download button shows exactly when it can work. */
function expectListed(job: Json, expected: { id: string; status: string; resourceName: string; groupId?: string; downloadable: boolean }, teamId: string) {
  expect(job).toMatchObject({ id: expected.id, status: expected.status, resourceName: expected.resourceName });
  expect(job.groupId).toBe(expected.groupId);
  expect(Number.isNaN(new Date(String(job.createdAt)).getTime())).toBe(false);
  expect(job.error === undefined || typeof job.error === "string").toBe(true);
  const downloadButton = job.status === "COMPLETED" && Boolean(job.result);
  expect(downloadButton).toBe(expected.downloadable);
  if (expected.downloadable) expect(job.result).toBe(`/api/teams/${teamId}/export-jobs/${expected.id}?download=true`);
}

function expectPolledEvery5s(polledAt: number[]) {
  expect(polledAt.length).toBeGreaterThan(0);
  polledAt.forEach((at, i) => {
    if (i > 0) expect(at - polledAt[i - 1]!).toBeGreaterThanOrEqual(POLL_MS - 50);
  });
}

/** The CSV as the browser saves it: an attachment, a header and one row per exported view. */
async function expectCsvOf(file: Response | null, views: SeededView[]) {
  expect(file?.status).toBe(200);
  expect(file!.headers.get("content-disposition")).toMatch(/^attachment/);
  const rows = parse(await file!.text(), { bom: true }) as string[][];
  expect(rows.length).toBe(views.length + 1);
  const cells = new Set(rows.slice(1).flat());
  for (const view of views) expect(cells.has(view.email), view.email).toBe(true);
}

/** The modal's two checks that the download failed visibly: a page, not a JSON blob saved as `.csv`. */
async function expectGonePage(response: Response) {
  expect(response.status).toBe(410);
  expect(response.headers.get("content-type")).toBe("text/html; charset=utf-8");
  const page = await response.text();
  expect(page).toMatch(/^<!DOCTYPE html>/);
  expect(page).toContain("<title>410: Gone</title>");
  return page;
}

describe("Papermark's document modal, signed in with its session cookie", () => {
  it("opens on an empty list, counts, starts, polls every 5 s until ready, downloads the CSV, and lists it with a Download button", async () => {
    const seed = await seeded(12);
    const modal = papermarkModal(seed.team.id, { documentId: seed.document.id }, await sessionCookie(seed.user.id));

    expect(await modal.open()).toEqual([]);
    // Above 10 views the modal offers "Email to …".
    expect(await modal.count()).toBe(12);
    const exportId = await modal.start();
    const { outcome, statusData, polledAt, seen } = await modal.poll(exportId);
    expect(outcome).toBe("download");
    expectPolledEvery5s(polledAt);
    for (const poll of seen) expect(["PENDING", "PROCESSING", "COMPLETED"]).toContain(poll.status);
    // What it reads, and what this app keeps beside it.
    expect(statusData).toMatchObject({
      id: exportId,
      status: "COMPLETED",
      isReady: true,
      resourceName: seed.document.name,
      result: `/api/teams/${seed.team.id}/export-jobs/${exportId}?download=true`,
      file: { rowCount: 12, truncated: false },
      progress: { phase: "uploaded" },
    });
    expect(statusData.error).toBeUndefined();

    const { response, file } = await modal.download(exportId);
    expect(response.status).toBe(302);
    await expectCsvOf(file, seed.views);

    const [listed, ...others] = await modal.open();
    expect(others).toEqual([]);
    expectListed(listed!, { id: exportId, status: "COMPLETED", resourceName: seed.document.name, downloadable: true }, seed.team.id);
    // The list's Download button navigates to the same URL, and gets a fresh link.
    await expectCsvOf((await modal.download(exportId)).file, seed.views);

    // Cancel on a finished export: a 409 whose message reads as a sentence.
    const late = await modal.cancel(exportId);
    expect(late.status).toBe(409);
    expect(restError(late.body)).toEqual({ code: "conflict", message: "The export is already completed" });
  }, 120_000);

  it("cancels a running export (200), which then lists as CANCELLED without a Download button, and refuses a second cancel with 409", async () => {
    const seed = await seeded(12);
    // Tinybird asks the export to wait 2 s, again and again: it stays running until cancelled.
    tinybird.injectFault({ viewIds: seed.views.map((v) => v.id), status: 429, times: 1_000, retryAfter: "2" });
    const modal = papermarkModal(seed.team.id, { documentId: seed.document.id }, await sessionCookie(seed.user.id));
    const exportId = await modal.start();

    const cancelled = await modal.cancel(exportId);
    expect(cancelled.status).toBe(200);
    expect(cancelled.body).toMatchObject({ message: "The export was cancelled", job: { id: exportId, status: "CANCELLED", isReady: false } });

    const [listed] = await modal.open();
    expectListed(listed!, { id: exportId, status: "CANCELLED", resourceName: seed.document.name, downloadable: false }, seed.team.id);
    const again = await modal.cancel(exportId);
    expect(again.status).toBe(409);
    expect(restError(again.body)).toEqual({ code: "conflict", message: "The export is already cancelled" });
    // Its link has nothing to give, and says so on a page.
    const page = await expectGonePage((await modal.download(exportId)).response);
    expect(page).toContain("The export was cancelled, so it has no file; start it again");
  }, 60_000);

  it("stops polling on FAILED with `error` as a string, leaves the failed export out of the list, and its link answers 410", async () => {
    const seed = await seeded(3);
    // A 4xx from Tinybird is final: the export fails at once, with Tinybird's reason.
    tinybird.injectFault({ viewIds: [seed.views[0]!.id], status: 400, times: 1_000 });
    const modal = papermarkModal(seed.team.id, { documentId: seed.document.id }, await sessionCookie(seed.user.id));
    const exportId = await modal.start();
    const { outcome, statusData, polledAt } = await modal.poll(exportId);
    expect(outcome).toBe("failed");
    expectPolledEvery5s(polledAt);
    expect(typeof statusData.error).toBe("string");
    expect(statusData.error).toMatch(/tinybird/i);
    expect(statusData).toMatchObject({ isReady: false });
    expect(statusData.result).toBeUndefined();

    expect(await modal.open()).toEqual([]);
    const page = await expectGonePage((await modal.download(exportId)).response);
    expect(page).toMatch(/The export failed \(.*Tinybird.*\), so it has no file; start it again/i);
  }, 120_000);
});

describe("Papermark's dataroom and group modals, with a Bearer token", () => {
  it("list, count and export each resource's own visits", async () => {
    const seed = await seeded(9);
    const token = await fixtures.tokenFor(seed.user.id, seed.team.id);
    const room = papermarkModal(seed.team.id, { dataroomId: seed.dataroom.id }, bearer(token));
    const group = papermarkModal(seed.team.id, { dataroomId: seed.dataroom.id, groupId: seed.investors.id }, bearer(token));
    const inGroup = seed.views.filter((v) => v.groupId === seed.investors.id);

    expect(await room.count()).toBe(9);
    expect(await group.count()).toBe(inGroup.length);
    const [roomExport, groupExport] = await Promise.all([room.start(), group.start()]);
    const [roomPoll, groupPoll] = await Promise.all([room.poll(roomExport), group.poll(groupExport)]);
    expect([roomPoll.outcome, groupPoll.outcome]).toEqual(["download", "download"]);
    expect(roomPoll.statusData).toMatchObject({ resourceName: seed.dataroom.name, isReady: true });
    expect(groupPoll.statusData).toMatchObject({ resourceName: `${seed.dataroom.name} — Investors`, groupId: seed.investors.id, isReady: true });

    // Each list holds its own resource's export only.
    const roomList = await room.open();
    expect(roomList).toHaveLength(1);
    expectListed(roomList[0]!, { id: roomExport, status: "COMPLETED", resourceName: seed.dataroom.name, downloadable: true }, seed.team.id);
    const groupList = await group.open();
    expect(groupList).toHaveLength(1);
    expectListed(
      groupList[0]!,
      { id: groupExport, status: "COMPLETED", resourceName: `${seed.dataroom.name} — Investors`, groupId: seed.investors.id, downloadable: true },
      seed.team.id,
    );
    const { response, file } = await group.download(groupExport);
    expect(response.status).toBe(302);
    expect((parse(await file!.text(), { bom: true }) as string[][]).length).toBe(inGroup.length + 1);
    // Cancel with the token: a finished export is refused in words, as with the cookie.
    const late = await group.cancel(groupExport);
    expect(late.status).toBe(409);
    expect(restError(late.body).message).toBe("The export is already completed");
  }, 120_000);

  it("lists at most 10, newest first", async () => {
    const seed = await seeded(1);
    const token = await fixtures.tokenFor(seed.user.id, seed.team.id);
    const modal = papermarkModal(seed.team.id, { documentId: seed.document.id }, bearer(token));
    const started: string[] = [];
    // Two users, so that the per-user start limit (10 a minute) is not what this test meets.
    const colleague = await fixtures.addMember(seed.team.id, "MEMBER");
    const colleagueModal = papermarkModal(seed.team.id, { documentId: seed.document.id }, bearer(await fixtures.tokenFor(colleague.id, seed.team.id)));
    for (let i = 0; i < 12; i++) started.push(await (i % 2 ? colleagueModal : modal).start());
    await Promise.all(started.map((id) => manage.waitForExport(seed.team.id, id, { timeoutMs: 60_000 })));
    const listed = await modal.open();
    expect(listed.map((job) => job.id)).toEqual(started.slice(-10).reverse());
  }, 120_000);
});

describe("a file that is gone", () => {
  async function completedExport() {
    const seed = await seeded(2);
    const modal = papermarkModal(seed.team.id, { documentId: seed.document.id }, await sessionCookie(seed.user.id));
    const exportId = await modal.start();
    expect((await modal.poll(exportId)).outcome).toBe("download");
    const job = await manage.getExport(seed.team.id, exportId);
    return { seed, modal, exportId, key: job.file!.key };
  }

  it("removed from storage behind the app's back: not ready, no Download button, and its link shows a 410 page (JSON to an API client)", async () => {
    const { seed, modal, exportId, key } = await completedExport();
    await services.getStorage().deleteObject(key);

    const status = (await (await modal.call(modal.jobPath(exportId))).json()) as Json;
    expect(status).toMatchObject({ status: "COMPLETED", isReady: false });
    expect(status.result).toBeUndefined();
    // Found missing once, it is recorded so: the next reads need not ask storage.
    expect((await manage.getExport(seed.team.id, exportId)).file?.deletedAt).toEqual(expect.any(String));
    expectListed((await modal.open())[0]!, { id: exportId, status: "COMPLETED", resourceName: seed.document.name, downloadable: false }, seed.team.id);

    const page = await expectGonePage((await modal.download(exportId)).response);
    expect(page).toContain("start the export again");
    const api = await modal.call(`${modal.jobPath(exportId)}?download=true`, { headers: { accept: "application/json" }, redirect: "manual" });
    expect(api.status).toBe(410);
    expect(api.headers.get("content-type")).toMatch(/^application\/json/);
    expect(restError(await api.json())).toEqual({ code: "gone", message: "The file has expired and was deleted; start the export again" });
  }, 60_000);

  it("deleted by the app at the end of its lifetime: the same 410 page, and the link of an export deleted from Redis too is a 404 page", async () => {
    const { modal, exportId, key } = await completedExport();
    await manage.deleteExpiredFile(exportId, key);
    expect((await (await modal.call(modal.jobPath(exportId))).json()) as Json).toMatchObject({ isReady: false });
    await expectGonePage((await modal.download(exportId)).response);

    const deleted = await modal.call(modal.jobPath(exportId), { method: "DELETE" });
    expect(deleted.status).toBe(204);
    const unknown = (await modal.download(exportId)).response;
    expect(unknown.status).toBe(404);
    expect(unknown.headers.get("content-type")).toBe("text/html; charset=utf-8");
    expect(await unknown.text()).toContain("No such export");
  }, 60_000);
});

describe("bad input", () => {
  it("another team's resources and jobs, unknown ones, finished ones and malformed calls each get their status and a readable message", async () => {
    const seed = await seeded(2);
    const stranger = await seeded(1);
    const cookie = await sessionCookie(seed.user.id);
    const modal = papermarkModal(seed.team.id, { documentId: seed.document.id }, cookie);
    const exportId = await modal.start();
    await manage.waitForExport(seed.team.id, exportId, { timeoutMs: 60_000 });
    const strangerExport = await papermarkModal(stranger.team.id, { documentId: stranger.document.id }, await sessionCookie(stranger.user.id)).start();

    const team = `/api/teams/${seed.team.id}`;
    const patch = { method: "PATCH" };
    const cases: [string, string, RequestInit, number, string, string][] = [
      ["list of another team's document", `${team}/documents/${stranger.document.id}/export-visits`, {}, 404, "not_found", "No such document"],
      ["list of an unknown dataroom", `${team}/datarooms/no-such-room/export-visits`, {}, 404, "not_found", "No such dataroom"],
      ["list of a group of another dataroom", `${team}/datarooms/${seed.otherRoom.id}/groups/${seed.investors.id}/export-visits`, {}, 404, "not_found", "No such group in this dataroom"],
      ["count of another team's document", `${team}/documents/${stranger.document.id}/views-count`, {}, 404, "not_found", "No such document"],
      ["count of another team's dataroom", `${team}/datarooms/${stranger.dataroom.id}/views-count`, {}, 404, "not_found", "No such dataroom"],
      ["count of a group of another dataroom", `${team}/datarooms/${seed.otherRoom.id}/views-count?groupId=${seed.investors.id}`, {}, 404, "not_found", "No such group in this dataroom"],
      ["count with a malformed group id", `${team}/datarooms/${seed.dataroom.id}/views-count?groupId=a%20b`, {}, 400, "bad_request", "groupId: is not a valid id"],
      ["a document's count with a group", `${team}/documents/${seed.document.id}/views-count?groupId=${seed.investors.id}`, {}, 400, "bad_request", "groupId: Unknown field"],
      ["a count in another team's space", `/api/teams/${stranger.team.id}/documents/${stranger.document.id}/views-count`, {}, 403, "forbidden", "You are not a member of this team"],
      ["a list in another team's space", `/api/teams/${stranger.team.id}/documents/${stranger.document.id}/export-visits`, {}, 403, "forbidden", "You are not a member of this team"],
      ["cancel of another team's job", `${team}/export-jobs/${strangerExport}`, patch, 404, "not_found", "No such export"],
      ["cancel of an unknown job", `${team}/export-jobs/no-such-export`, patch, 404, "not_found", "No such export"],
      ["cancel in another team's space", `/api/teams/${stranger.team.id}/export-jobs/${strangerExport}`, patch, 403, "forbidden", "You are not a member of this team"],
      ["cancel with a body", `${team}/export-jobs/${exportId}`, { ...patch, body: '{"status":"CANCELLED"}', headers: { "content-type": "application/json" } }, 400, "bad_request", "status: Unknown field"],
      ["cancel of a finished job", `${team}/export-jobs/${exportId}`, patch, 409, "conflict", "The export is already completed"],
      ["status of another team's job", `${team}/export-jobs/${strangerExport}`, {}, 404, "not_found", "No such export"],
      ["download of another team's job", `${team}/export-jobs/${strangerExport}?download=true`, {}, 404, "not_found", "No such export"],
    ];
    for (const [name, path, init, status, code, message] of cases) {
      const response = await modal.call(path, init);
      expect(response.status, name).toBe(status);
      expect(restError(await response.json()), name).toEqual({ code, message });
    }
    // Signed out, the list and the cancel are refused, and the stranger's export was left as it was.
    expect((await fetch(`${base}${team}/documents/${seed.document.id}/export-visits`)).status).toBe(401);
    expect((await fetch(`${base}${team}/export-jobs/${exportId}`, { method: "PATCH" })).status).toBe(401);
    expect((await manage.getExport(stranger.team.id, strangerExport)).status).not.toBe("CANCELLED");
  }, 60_000);
});
