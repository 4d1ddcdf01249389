/**
 * Storage outages replayed end to end: s3rver really stopped and started again on its port,
 * the real functions driven by the local executor, REST route handlers and tRPC callers as
 * users reach them. Each test ends by proving that nothing is left in storage: no object
 * under the team's prefix, no upload s3rver holds open, and none in the app's open-upload
 * index (s3rver has no ListMultipartUploads, so the index is what the sweep reads).
 *
 * The index is per bucket, and every harness uses the bucket "test-exports" with a Redis
 * database of its own per checkout, so other test files' uploads may be in it at the same
 * time: the checks look at this test's team only.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";

import { type ExportHarness, startExportHarness } from "./support/export-harness";
import { TEST_SOURCE_DATABASE_URL as PG_URL } from "./support/test-env";

const PLAIN = "Storage is unavailable; please try again shortly";
const FILE_TTL_SECONDS = 5;

let harness: ExportHarness;
let app: typeof import("./support/export-app");
let fixtures: typeof import("./support/fixtures");
let services: typeof import("~/server/services");
let routes: {
  download: typeof import("~/app/api/v2/metric_files/[id]/download/route");
  job: typeof import("~/app/api/teams/[teamId]/export-jobs/[exportId]/route");
};

beforeAll(async () => {
  harness = await startExportHarness({ env: { EXPORT_FILE_TTL_SECONDS: String(FILE_TTL_SECONDS) } });
  app = await import("./support/export-app");
  fixtures = await import("./support/fixtures");
  services = await import("~/server/services");
  routes = {
    download: await import("~/app/api/v2/metric_files/[id]/download/route"),
    job: await import("~/app/api/teams/[teamId]/export-jobs/[exportId]/route"),
  };
}, 120_000);

afterAll(async () => {
  await harness?.close();
});

const call = <P>(handler: (req: Request, ctx: { params: Promise<P> }) => Promise<Response>, url: string, params: P, init: RequestInit = {}) =>
  handler(new Request(`http://test${url}`, init), { params: Promise.resolve(params) });

const bearer = (token: string, method = "GET") => ({ method, headers: { authorization: `Bearer ${token}` } });

/** What a message must never show: the error's code, the address, the port. */
function expectPlain(text: string) {
  expect(text).not.toMatch(/ECONNREFUSED|ECONNRESET|127\.0\.0\.1|localhost/);
  expect(text).not.toContain(`:${new URL(process.env.S3_ENDPOINT!).port}`);
}

async function keysUnder(prefix: string): Promise<string[]> {
  const keys: string[] = [];
  for await (const object of services.getStorage().listObjects(prefix)) keys.push(object.key);
  return keys;
}

async function openUploadsUnder(prefix: string) {
  const all = await services.getOpenUploads().startedBefore(new Date(Date.now() + 365 * 24 * 3600 * 1000), 10_000);
  return all.filter((upload) => upload.key.startsWith(prefix));
}

async function expectNothingLeft(teamId: string) {
  const prefix = `exports/${teamId}/`;
  expect(await keysUnder(prefix)).toEqual([]);
  expect(await openUploadsUnder(prefix)).toEqual([]);
  expect(harness.pendingUploads()).toEqual([]);
}

const deletionAttempts = (exportId: string) =>
  harness.executor
    .runs()
    .find((r) => r.event.data.exportId === exportId && r.functionId.endsWith("delete-export-file"))
    ?.history.filter((h) => h.name === "delete file")
    .map((h) => h.status) ?? [];

describe("storage outages", () => {
  it("deletes a file whose deletion fell in an outage once storage is back, by retrying past the old 5-retry budget", async () => {
    const team = await app.teamWithSource("POSTGRES", { url: PG_URL });
    const metric = await team.metric("SELECT g FROM generate_series(1, 10) g");
    const job = await team.exportAndWait(metric.id);
    expect(job.status).toBe("COMPLETED");
    const key = job.file!.key;
    // The file's lifetime (5 s) starts when the deletion run is scheduled, just after COMPLETED.
    await harness.stopStorage();
    try {
      // Six failed attempts: the old function (retries: 5) would have given up here for good.
      await app.waitFor(async () => deletionAttempts(job.id).filter((s) => s === "retry").length >= 6, 60_000);
      expect(deletionAttempts(job.id)).not.toContain("failed");
    } finally {
      await harness.startStorage();
    }
    expect(await keysUnder(key)).toEqual([key]);

    await app.waitFor(async () => (await keysUnder(key)).length === 0, 60_000);
    await app.waitFor(async () => (await team.trpc.exports.get({ teamId: team.id, exportId: job.id })).file?.deletedAt !== undefined, 10_000);
    // The step marks the file deleted just before the executor records its answer.
    await app.waitFor(async () => deletionAttempts(job.id).at(-1) === "ok", 10_000);
    // Deleting the job now deletes an object that is already gone: that is success.
    await team.trpc.exports.delete({ teamId: team.id, exportId: job.id });
    await expectNothingLeft(team.id);
  });

  it("answers 502 storage_unavailable over REST and BAD_GATEWAY over tRPC on every path, with a plain message; status still answers", async () => {
    const { seedVisits } = await import("./support/visit-fixtures");
    const { trpcAs, sessionCaller } = await import("./support/fixtures");
    const { waitForExport } = await import("~/server/exports/manage-export");
    const seeded = await seedVisits({ views: 3 });
    const trpc = trpcAs(sessionCaller(seeded.user.id));
    const token = await fixtures.tokenFor(seeded.user.id, seeded.team.id);
    const { exportId } = await trpc.visits.exportDocument({ teamId: seeded.team.id, documentId: seeded.document.id });
    expect((await waitForExport(seeded.team.id, exportId, { timeoutMs: 30_000 })).status).toBe("COMPLETED");
    const metricTeam = await app.teamWithSource("POSTGRES", { url: PG_URL });
    const metric = await metricTeam.metric("SELECT g FROM generate_series(1, 10) g");
    const metricToken = await fixtures.tokenFor(metricTeam.user.id, metricTeam.id);
    const jobUrl = `/api/teams/${seeded.team.id}/export-jobs/${exportId}`;
    const params = { teamId: seeded.team.id, exportId };

    await harness.stopStorage();
    try {
      // tRPC: a download link and a delete.
      for (const attempt of [() => trpc.exports.downloadUrl(params), () => trpc.exports.delete(params)]) {
        const error = (await attempt().catch((e: unknown) => e)) as { code?: string; message: string };
        expect(error).toMatchObject({ code: "BAD_GATEWAY", message: PLAIN });
      }
      // REST: the job's file (?download=true) and a delete.
      for (const response of [
        await call(routes.job.GET, `${jobUrl}?download=true`, params, bearer(token)),
        await call(routes.job.DELETE, jobUrl, params, bearer(token, "DELETE")),
      ]) {
        expect(response.status).toBe(502);
        const body = await response.text();
        expect(JSON.parse(body)).toEqual({ code: "storage_unavailable", message: PLAIN, error: PLAIN });
        expectPlain(body);
      }
      // The job's status still answers, its file not ready while storage is away, and the failed delete left the job in place.
      const status = await call(routes.job.GET, jobUrl, params, bearer(token));
      expect(status.status).toBe(200);
      expect(await status.json()).toMatchObject({ id: exportId, status: "COMPLETED", isReady: false });

      // Starting works; the export's upload fails for good, and the job says why, plainly.
      const started = await metricTeam.exportAndWait(metric.id);
      expect(started).toMatchObject({ status: "FAILED", errorCode: "STORAGE_UNAVAILABLE", error: PLAIN });
      // The original API's one call: start, wait, link.
      const download = await call(routes.download.GET, `/api/v2/metric_files/${metric.id}/download`, { id: metric.id }, bearer(metricToken));
      expect(download.status).toBe(502);
      const body = await download.text();
      expect(JSON.parse(body)).toMatchObject({ code: "storage_unavailable", message: PLAIN, exportId: expect.any(String) });
      expectPlain(body);
    } finally {
      await harness.startStorage();
    }

    // Storage is back: the same calls succeed, and deleting leaves nothing.
    expect(await (await call(routes.job.GET, jobUrl, params, bearer(token))).json()).toMatchObject({ isReady: true });
    expect((await fetch((await trpc.exports.downloadUrl(params)).url)).status).toBe(200);
    expect((await call(routes.job.DELETE, jobUrl, params, bearer(token, "DELETE"))).status).toBe(204);
    await expectNothingLeft(seeded.team.id);
    await expectNothingLeft(metricTeam.id);
  });

  it("an upload cut by an outage stays open in the store until storage is back, and then nothing is left once the sweep has run", async () => {
    const { sweepExportStorage } = await import("~/server/storage");
    const team = await app.teamWithSource("POSTGRES", { url: PG_URL });
    // About 20 MB, produced over some 5 seconds, so that the outage falls mid-upload.
    const metric = await team.metric(
      "SELECT g AS n, repeat('x', 200) AS padding, CASE WHEN g % 5000 = 0 THEN pg_sleep(0.25) END AS pause FROM generate_series(1, 100000) g",
    );
    const { exportId } = await team.trpc.metrics.export({ teamId: team.id, metricId: metric.id });
    await app.waitFor(async () => (await openUploadsUnder(`exports/${team.id}/`)).length > 0, 60_000, 20);
    await harness.stopStorage();
    let job;
    try {
      const { waitForExport } = await import("~/server/exports/manage-export");
      job = await waitForExport(team.id, exportId, { timeoutMs: 60_000 });
    } finally {
      await harness.startStorage();
    }
    expect(job).toMatchObject({ status: "FAILED", errorCode: "STORAGE_UNAVAILABLE", error: PLAIN });
    // The abort fell in the outage: the parts are still in the store, and the upload in the index.
    const left = await openUploadsUnder(`exports/${team.id}/`);
    expect(left).toHaveLength(1);
    expect(harness.pendingUploads()).toContain(left[0]!.uploadId);

    const limits = (await import("~/server/exports/export-limits")).exportLimits();
    await sweepExportStorage(services.getStorage(), services.getOpenUploads(), {
      // As the cron function sweeps, half an hour from now.
      now: new Date(Date.now() + 31 * 60_000),
      defaultLifetimeSeconds: limits.jobTtlSeconds,
      graceSeconds: limits.linkTtlSeconds + 300,
      maxUploadAgeSeconds: 30 * 60,
    });
    // The run's failure handler may get there first once storage is back (settling aborts the
    // export's open upload); the sweep aborts whatever it left. Either way nothing stays.
    await expectNothingLeft(team.id);
  });
});
