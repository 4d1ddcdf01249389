/**
 * A download link never outlives its file, and says so. A metric file lives a fixed time after
 * its export finishes (DESIGN.md), so a link minted late in that life is presigned only for
 * what is left of it, and its `expiresAt` (tRPC, REST) and the REST message count those
 * seconds. s3rver enforces a presigned link's expiry, so the link is tried for real on both
 * sides of the time it was answered with.
 *
 * Files live 10 s here (the link TTL stays 60 s), so that "late in its life" is a short wait.
 */
import { setTimeout as sleep } from "node:timers/promises";

import { TRPCError } from "@trpc/server";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

import { type ExportHarness, startExportHarness } from "./support/export-harness";
import { TEST_SOURCE_DATABASE_URL as PG_URL } from "./support/test-env";

const FILE_TTL_SECONDS = 10;

let harness: ExportHarness;
let app: typeof import("./support/export-app");
let fixtures: typeof import("./support/fixtures");

beforeAll(async () => {
  harness = await startExportHarness({ env: { EXPORT_FILE_TTL_SECONDS: String(FILE_TTL_SECONDS), EXPORT_LINK_TTL_SECONDS: "60" } });
  app = await import("./support/export-app");
  fixtures = await import("./support/fixtures");
}, 120_000);

afterAll(async () => {
  await harness?.close();
});

const sleepUntil = (time: number) => sleep(Math.max(0, time - Date.now()));
const presignedSeconds = (url: string) => Number(new URL(url).searchParams.get("X-Amz-Expires"));

describe("download links end with their file", () => {
  it("a link minted 3.5 s before its file ends lives only what is left, says so, and s3rver refuses it after that", async () => {
    const team = await app.teamWithSource("POSTGRES", { url: PG_URL });
    const metric = await team.metric("SELECT g AS n FROM generate_series(1, 10) g");
    const job = await team.exportAndWait(metric.id);
    expect(job.status).toBe("COMPLETED");
    const fileEnd = Date.parse(job.file!.expiresAt);
    const exportRef = { teamId: team.id, exportId: job.id };

    await sleepUntil(fileEnd - 3500);
    const link = await team.trpc.exports.downloadUrl(exportRef);
    const seconds = presignedSeconds(link.url);
    expect(seconds).toBeGreaterThanOrEqual(1);
    expect(seconds).toBeLessThanOrEqual(3);
    const linkEnd = Date.parse(link.expiresAt);
    expect(linkEnd).toBeLessThanOrEqual(fileEnd);
    expect(linkEnd).toBeGreaterThan(fileEnd - 1000);

    // The REST redirect presigns the same way.
    const route = await import("~/app/api/teams/[teamId]/export-jobs/[exportId]/route");
    const token = await fixtures.tokenFor(team.user.id, team.id);
    const redirect = await route.GET(
      new Request(`http://test/api/teams/${team.id}/export-jobs/${job.id}?download=true`, { headers: { authorization: `Bearer ${token}` } }),
      { params: Promise.resolve(exportRef) },
    );
    expect(redirect.status).toBe(302);
    expect(presignedSeconds(redirect.headers.get("location")!)).toBeLessThanOrEqual(3);

    const before = await fetch(link.url);
    expect(before.status).toBe(200);
    expect((await before.text()).split("\r\n")[0]).toBe("n");

    // A margin for the presigner, which reads the clock a few milliseconds after the answer's own.
    await sleepUntil(linkEnd + 100);
    const after = await fetch(link.url);
    expect(after.status).toBe(403);
    expect(await after.text()).toContain("Request has expired");

    // With less than a second of the file left, there is no link to give.
    const refused = await team.trpc.exports.downloadUrl(exportRef).then(
      () => null,
      (e: unknown) => e,
    );
    expect(refused).toBeInstanceOf(TRPCError);
    expect((refused as TRPCError).code).toBe("NOT_FOUND");
    expect((refused as TRPCError).message).toMatch(/the file has expired/i);
  });

  it("the REST metric download answers with the seconds the file has left, in expiresAt and in its message", async () => {
    const team = await app.teamWithSource("POSTGRES", { url: PG_URL });
    const metric = await team.metric("SELECT 1 AS one");
    const token = await fixtures.tokenFor(team.user.id, team.id);
    const route = await import("~/app/api/v2/metric_files/[id]/download/route");
    const response = await route.GET(new Request(`http://test/api/v2/metric_files/${metric.id}/download`, { headers: { authorization: `Bearer ${token}` } }), {
      params: Promise.resolve({ id: metric.id }),
    });
    expect(response.status).toBe(200);
    const body = (await response.json()) as { downloadUrl: string; expiresAt: string; exportId: string; message: string };

    const seconds = presignedSeconds(body.downloadUrl);
    expect(seconds).toBeGreaterThanOrEqual(1);
    expect(seconds).toBeLessThan(FILE_TTL_SECONDS);
    expect(body.message).toBe(`Download link expires in ${seconds} seconds. Please start your download immediately.`);
    const job = await team.trpc.exports.get({ teamId: team.id, exportId: body.exportId });
    expect(Date.parse(body.expiresAt)).toBeLessThanOrEqual(Date.parse(job.file!.expiresAt));
  });
});
