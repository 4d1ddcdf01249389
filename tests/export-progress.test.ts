/**
 * The engine's promises that a user sees: progress reaches an `exports.onProgress`
 * subscriber in order until the job ends, deleting a running export cancels it first, a
 * failed storage upload is retried and then fails cleanly, and the audit log records it all.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";

import { type ExportHarness, startExportHarness } from "./support/export-harness";
import { TEST_SOURCE_DATABASE_URL as PG_URL } from "./support/test-env";

let harness: ExportHarness;
let app: typeof import("./support/export-app");

beforeAll(async () => {
  harness = await startExportHarness({ env: { EXPORT_FILE_TTL_SECONDS: "60" } });
  app = await import("./support/export-app");
}, 120_000);

afterAll(async () => {
  await harness?.close();
});

describe("export engine, as a user sees it", () => {
  it("streams progress to an onProgress subscriber in order, ending with COMPLETED, and audits it", async () => {
    const team = await app.teamWithSource("POSTGRES", { url: PG_URL });
    // Slow enough to report progress several times: a 0.25 s pause every 5,000 rows.
    const metric = await team.metric(
      "SELECT g AS n, repeat('x', 20) AS padding, CASE WHEN g % 5000 = 0 THEN pg_sleep(0.25) END AS pause FROM generate_series(1, 60000) g",
    );
    const { exportId } = await team.trpc.metrics.export({ teamId: team.id, metricId: metric.id });
    const seen: { status: string; rows: number }[] = [];
    const stream = await team.trpc.exports.onProgress({ teamId: team.id, exportId });
    for await (const update of stream) {
      // A server-side caller sees the `tracked(id, job)` envelope that SSE clients get as { id, data }.
      const job = (update as unknown as [string, { status: string; progress?: { rows: number } }])[1];
      seen.push({ status: job.status, rows: job.progress?.rows ?? 0 });
    }
    expect(seen.at(-1)).toEqual({ status: "COMPLETED", rows: 60000 });
    expect(seen.length).toBeGreaterThan(2);
    const order = ["PENDING", "PROCESSING", "COMPLETED"];
    for (let i = 1; i < seen.length; i++) {
      expect(order.indexOf(seen[i]!.status)).toBeGreaterThanOrEqual(order.indexOf(seen[i - 1]!.status));
      if (seen[i]!.status === seen[i - 1]!.status) expect(seen[i]!.rows).toBeGreaterThanOrEqual(seen[i - 1]!.rows);
    }
    expect(seen.some((s) => s.status === "PROCESSING" && s.rows > 0 && s.rows < 60000)).toBe(true);

    const { db } = await import("~/server/db");
    // The audit row is closed just after the job record says COMPLETED, which ends the stream.
    await app.waitFor(async () => (await db.exportAuditEvent.findUniqueOrThrow({ where: { exportId } })).outcome !== "STARTED", 10_000);
    const audit = await db.exportAuditEvent.findUniqueOrThrow({ where: { exportId } });
    expect(audit).toMatchObject({ teamId: team.id, userId: team.user.id, kind: "metric", channel: "UI", outcome: "COMPLETED", rows: 60000 });
    expect(Number(audit.bytes)).toBeGreaterThan(0);
  });

  it("cancels a running export when it is deleted, and leaves no record and no file", async () => {
    const team = await app.teamWithSource("POSTGRES", { url: PG_URL });
    const metric = await team.metric(`SELECT pg_sleep(20), 'delete_probe_${Date.now()}' AS x`);
    const { exportId } = await team.trpc.metrics.export({ teamId: team.id, metricId: metric.id });
    await app.waitFor(async () => (await team.trpc.exports.get({ teamId: team.id, exportId })).status === "PROCESSING", 15_000);
    await team.trpc.exports.delete({ teamId: team.id, exportId });
    const gone = await team.trpc.exports.get({ teamId: team.id, exportId }).catch((e: { code?: string }) => e);
    expect((gone as { code?: string }).code).toBe("NOT_FOUND");
    const { db } = await import("~/server/db");
    expect(await db.exportAuditEvent.findUniqueOrThrow({ where: { exportId } })).toMatchObject({ outcome: "CANCELLED" });
  });

  it("retries an upload while storage is down, then fails the job cleanly with nothing left behind", async () => {
    const team = await app.teamWithSource("POSTGRES", { url: PG_URL });
    const metric = await team.metric("SELECT g FROM generate_series(1, 100) g");
    await harness.stopStorage();
    let job;
    try {
      job = await team.exportAndWait(metric.id, 60_000);
    } finally {
      await harness.startStorage();
    }
    expect(job).toMatchObject({ status: "FAILED", errorCode: "STORAGE_UNAVAILABLE", error: "Storage is unavailable; please try again shortly" });
    // The upload step ran three times (the first attempt and its two retries), then failed for
    // good. The last attempt settles the job just before the executor records its failure.
    const uploadAttempts = () =>
      harness.executor
        .runs()
        .find((r) => r.event.data.exportId === job.id && r.functionId.endsWith("export-metric-data"))
        ?.history.filter((h) => h.name === "query and upload")
        .map((h) => h.status) ?? [];
    await app.waitFor(async () => uploadAttempts().length === 3, 5_000);
    expect(uploadAttempts()).toEqual(["retry", "retry", "failed"]);
    expect(await harness.exportObjects(team.id)).toEqual([]);
  });

  it("fails at once, without retrying, when the requester lost access before the run started", async () => {
    const { seedVisits } = await import("./support/visit-fixtures");
    const { db } = await import("~/server/db");
    const { waitForExport } = await import("~/server/exports/manage-export");
    const { getJobStore } = await import("~/server/services");
    const { inngest } = await import("~/server/jobs/inngest-client");
    const { visitExportRequested } = await import("~/server/jobs/events");
    const seeded = await seedVisits({ views: 3 });
    const member = await db.user.create({ data: { email: `leaver-${Date.now()}@example.test` } });
    await db.membership.create({ data: { teamId: seeded.team.id, userId: member.id, role: "MEMBER" } });
    // The export was requested while the user was a member; the run starts after they left.
    const exportId = crypto.randomUUID();
    await getJobStore().create({ id: exportId, type: "document", resourceId: seeded.document.id, userId: member.id, teamId: seeded.team.id });
    await db.membership.deleteMany({ where: { teamId: seeded.team.id, userId: member.id } });
    await inngest.send(
      visitExportRequested.create({ exportId, teamId: seeded.team.id, userId: member.id, kind: "document", resourceId: seeded.document.id }),
    );
    const job = await waitForExport(seeded.team.id, exportId, { timeoutMs: 30_000 });
    expect(job).toMatchObject({ status: "FAILED", errorCode: "FORBIDDEN", error: "You are not a member of this team" });
    const run = harness.executor.runs().find((r) => r.event.data.exportId === exportId && r.functionId.endsWith("export-visits"));
    expect(run?.history.filter((h) => h.status === "retry")).toEqual([]);
  });

  it("exports visits with durations from the local page-view table when no Tinybird token is set", async () => {
    const { seedVisits } = await import("./support/visit-fixtures");
    const { trpcAs, sessionCaller } = await import("./support/fixtures");
    const { waitForExport, createDownloadLink } = await import("~/server/exports/manage-export");
    const { parse } = await import("csv-parse/sync");
    const seeded = await seedVisits({ views: 5 });
    const { exportId } = await trpcAs(sessionCaller(seeded.user.id)).visits.exportDocument({ teamId: seeded.team.id, documentId: seeded.document.id });
    const job = await waitForExport(seeded.team.id, exportId, { timeoutMs: 30_000 });
    expect(job.status).toBe("COMPLETED");
    const rows = parse(await (await fetch((await createDownloadLink(seeded.team.id, exportId)).url)).text(), { columns: true }) as Record<string, string>[];
    const byEmail = new Map(rows.map((r) => [r.Email, r["Total View Duration (s)"]]));
    for (const view of seeded.views) {
      expect(byEmail.get(view.email)).toBe((view.pages.reduce((sum, p) => sum + p.durationMs, 0) / 1000).toFixed(3));
    }
  });
});
