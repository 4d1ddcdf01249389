/**
 * The tRPC route over real HTTP (its handler on a port of its own, with the export harness's
 * Redis and executor): the per-token rate limit, which REST already had, and progress streams
 * for jobs that do not exist or stop existing while watched.
 */
import type { Server } from "node:http";
import type { AddressInfo } from "node:net";

import { afterAll, beforeAll, describe, expect, it } from "vitest";

import { type ExportHarness, startExportHarness } from "./support/export-harness";
import { serveFetch } from "./support/serve-fetch";

const LIMIT = 5;

let harness: ExportHarness;
let server: Server;
let appUrl: string;
let fixtures: typeof import("./support/fixtures");
let clientModule: typeof import("../src/client");
let services: typeof import("~/server/services");

beforeAll(async () => {
  harness = await startExportHarness({ env: { RATE_LIMIT_REST_PER_TOKEN_PER_MINUTE: String(LIMIT) } });
  fixtures = await import("./support/fixtures");
  clientModule = await import("../src/client");
  services = await import("~/server/services");
  const trpcRoute = await import("~/app/api/trpc/[trpc]/route");
  server = await serveFetch((req) => (req.method === "GET" ? trpcRoute.GET(req) : trpcRoute.POST(req)));
  appUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}, 120_000);

afterAll(async () => {
  server?.closeAllConnections();
  await new Promise((resolve) => server?.close(resolve));
  await harness?.close();
});

async function teamWithToken() {
  const { team, user } = await fixtures.createTeamWithUser("OWNER");
  return { team, user, token: await fixtures.tokenFor(user.id, team.id) };
}

type TrpcError = { error: { json: { message: string; data: { code: string; httpStatus: number; appCode?: string; details?: Record<string, unknown> } } } };

describe("the per-token rate limit", () => {
  const listJobs = (teamId: string, token: string) =>
    fetch(`${appUrl}/api/trpc/exports.list?input=${encodeURIComponent(JSON.stringify({ json: { teamId } }))}`, {
      headers: { authorization: `Bearer ${token}` },
    });

  it("answers a token's call past its limit with 429 TOO_MANY_REQUESTS, Retry-After and X-RateLimit-*", async () => {
    const { team, token } = await teamWithToken();
    for (let i = 0; i < LIMIT; i++) expect((await listJobs(team.id, token)).status, `call ${i + 1}`).toBe(200);

    const refused = await listJobs(team.id, token);
    expect(refused.status).toBe(429);
    const retryAfter = Number(refused.headers.get("retry-after"));
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    expect(retryAfter).toBeLessThanOrEqual(60);
    expect(refused.headers.get("x-ratelimit-limit")).toBe(String(LIMIT));
    expect(refused.headers.get("x-ratelimit-remaining")).toBe("0");
    const body = (await refused.json()) as TrpcError;
    expect(body.error.json.data).toMatchObject({ code: "TOO_MANY_REQUESTS", httpStatus: 429, appCode: "RATE_LIMITED", details: { retryAfterSeconds: retryAfter, limit: LIMIT } });
    expect(body.error.json.message).toMatch(/^Too many API requests with this token; try again in \d+ s$/);
  });

  it("counts each call of a batch, and the typed client's calls too", async () => {
    const { team, token } = await teamWithToken();
    const paths = Array.from({ length: LIMIT + 1 }, () => "exports.list").join(",");
    const inputs = Object.fromEntries(Array.from({ length: LIMIT + 1 }, (_, i) => [i, { json: { teamId: team.id } }]));
    const batch = await fetch(`${appUrl}/api/trpc/${paths}?batch=1&input=${encodeURIComponent(JSON.stringify(inputs))}`, { headers: { authorization: `Bearer ${token}` } });
    const answers = (await batch.json()) as Array<{ result?: unknown } & Partial<TrpcError>>;
    expect(answers.filter((a) => a.result)).toHaveLength(LIMIT);
    expect(answers.at(-1)?.error?.json.data.code).toBe("TOO_MANY_REQUESTS");
    expect(batch.headers.get("retry-after")).not.toBeNull();

    const client = clientModule.createExportCenterClient({ url: appUrl, token });
    await expect(client.trpc.exports.list.query({ teamId: team.id })).rejects.toMatchObject({ data: { code: "TOO_MANY_REQUESTS" } });
  });

  it("leaves signed-in browsers alone: the limit is per token", async () => {
    const { team, user } = await teamWithToken();
    const trpc = fixtures.trpcAs(fixtures.sessionCaller(user.id));
    for (let i = 0; i < LIMIT + 2; i++) await trpc.exports.list({ teamId: team.id });
  });
});

describe("a progress stream for a job that vanished", () => {
  function watch(url: string, token: string, teamId: string, exportId: string) {
    const client = clientModule.createExportCenterClient({ url, token });
    const seen: string[] = [];
    const ended = new Promise<{ code?: string; httpStatus?: number; message: string }>((resolve) => {
      const sub = client.trpc.exports.onProgress.subscribe(
        { teamId, exportId },
        {
          onData: (event) => seen.push(event.data.status),
          onError: (error) => {
            sub.unsubscribe();
            resolve({ code: error.data?.code, httpStatus: error.data?.httpStatus, message: error.message });
          },
        },
      );
    });
    return { seen, ended };
  }

  it("ends with NOT_FOUND for an id that never existed", async () => {
    const { team, token } = await teamWithToken();
    const { ended, seen } = watch(appUrl, token, team.id, crypto.randomUUID());
    expect(await ended).toEqual({ code: "NOT_FOUND", httpStatus: 404, message: "No such export" });
    expect(seen).toEqual([]);
  });

  it("ends with NOT_FOUND when the job is deleted while it is watched", async () => {
    const { team, user, token } = await teamWithToken();
    // A job with no run behind it: it stays PENDING until the test deletes it.
    const { job } = await services.getJobStore().create({ id: crypto.randomUUID(), type: "document", resourceId: "doc", userId: user.id, teamId: team.id, channel: "CLIENT" });
    const { ended, seen } = watch(appUrl, token, team.id, job.id);
    await expect.poll(() => seen, { timeout: 10_000 }).toEqual(["PENDING"]);
    await services.getJobStore().delete(job);
    expect(await ended).toEqual({ code: "NOT_FOUND", httpStatus: 404, message: "No such export" });
  });
});
