/**
 * Starting and cancelling exports while the Inngest engine cannot be reached: the local
 * executor is stopped for real (its port refuses connections) and started again on the same
 * state, as after a crash. A cancel then succeeds once the job is CANCELLED and its event is
 * delivered when the engine is back; a start that cannot be queued closes its audit row.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";

import { type ExportHarness, startExportHarness } from "./support/export-harness";
import { TEST_SOURCE_DATABASE_URL as PG_URL } from "./support/test-env";

let harness: ExportHarness;
let app: typeof import("./support/export-app");
let db: typeof import("~/server/db").db;

beforeAll(async () => {
  harness = await startExportHarness();
  app = await import("./support/export-app");
  ({ db } = await import("~/server/db"));
}, 120_000);

afterAll(async () => {
  await harness?.close();
});

function runOf(exportId: string) {
  return harness.executor.runs().find((r) => r.event.data.exportId === exportId && r.functionId.endsWith("export-metric-data"));
}

async function auditOf(exportId: string) {
  return db.exportAuditEvent.findUnique({ where: { exportId }, select: { outcome: true, error: true, finishedAt: true } });
}

describe("with the engine down", () => {
  it("cancelling a running export succeeds, stops its query, and leaves nothing behind", async () => {
    const team = await app.teamWithSource("POSTGRES", { url: PG_URL });
    const marker = `cancel_down_${Date.now()}`;
    const metric = await team.metric(`SELECT pg_sleep(30) AS ${marker}`);
    const { exportId } = await team.trpc.metrics.export({ teamId: team.id, metricId: metric.id });
    await app.waitFor(async () => (await team.trpc.exports.get({ teamId: team.id, exportId })).status === "PROCESSING", 20_000);
    await app.waitFor(() => app.activeQueries(marker), 10_000);

    await harness.executor.close();
    try {
      const cancelled = await team.trpc.exports.cancel({ teamId: team.id, exportId });
      expect(cancelled.status).toBe("CANCELLED");
      // The producing step runs in the app, not the engine: it sees the status and stops.
      await app.waitFor(async () => !(await app.activeQueries(marker)), 10_000);
      expect(await auditOf(exportId)).toMatchObject({ outcome: "CANCELLED" });
    } finally {
      await harness.restartExecutor();
    }
    await app.waitFor(async () => ["Cancelled", "Failed"].includes(runOf(exportId)?.status ?? ""), 30_000);
    expect((await team.trpc.exports.get({ teamId: team.id, exportId })).status).toBe("CANCELLED");
    expect(await harness.exportObjects(team.id)).toEqual([]);
  });

  it("a queued run is cancelled by the event once the engine is back, and never starts", async () => {
    const team = await app.teamWithSource("POSTGRES", { url: PG_URL });
    const marker = `queue_blocker_${Date.now()}`;
    // Three exports fill the team's three metric slots, so the fourth waits in the engine's queue.
    const blocker = await team.metric(`SELECT pg_sleep(40) AS ${marker}`);
    const blockers = await Promise.all([1, 2, 3].map((n) => team.trpc.metrics.export({ teamId: team.id, metricId: blocker.id, requestId: `blocker-${n}` })));
    await app.waitFor(async () => blockers.every(({ exportId }) => runOf(exportId)?.status === "Running"), 20_000);
    const queued = await team.trpc.metrics.export({ teamId: team.id, metricId: (await team.metric("SELECT 1 AS n")).id });
    await app.waitFor(async () => runOf(queued.exportId)?.status === "Queued", 10_000);

    const logged = vi.spyOn(console, "log");
    const eventFailed = () => logged.mock.calls.some(([line]) => String(line).includes('"msg":"export.cancel_event_failed"') && String(line).includes(queued.exportId));
    await harness.executor.close();
    let cancelled;
    try {
      cancelled = await team.trpc.exports.cancel({ teamId: team.id, exportId: queued.exportId });
      // The engine stays down until the event's first delivery has failed for good.
      await app.waitFor(async () => eventFailed(), 20_000);
    } finally {
      await harness.restartExecutor();
      logged.mockRestore();
    }
    expect(cancelled.status).toBe("CANCELLED");

    // Sent again in the background, the event reaches the engine while the run still waits for a slot.
    await app.waitFor(async () => runOf(queued.exportId)?.status === "Cancelled", 30_000);
    expect(blockers.every(({ exportId }) => runOf(exportId)?.status === "Running")).toBe(true);
    const job = await team.trpc.exports.get({ teamId: team.id, exportId: queued.exportId });
    expect(job).toMatchObject({ status: "CANCELLED" });
    expect(job.startedAt).toBeUndefined();
    expect(await auditOf(queued.exportId)).toMatchObject({ outcome: "CANCELLED" });

    for (const { exportId } of blockers) await team.trpc.exports.cancel({ teamId: team.id, exportId });
    await app.waitFor(async () => !(await app.activeQueries(marker)), 15_000);
    expect(await harness.exportObjects(team.id)).toEqual([]);
  }, 90_000);

  it("an export that cannot be queued fails, and its audit row says FAILED", async () => {
    const team = await app.teamWithSource("POSTGRES", { url: PG_URL });
    const metric = await team.metric("SELECT 1 AS n");
    await harness.executor.close();
    try {
      await expect(team.trpc.metrics.export({ teamId: team.id, metricId: metric.id })).rejects.toMatchObject({ code: "BAD_GATEWAY" });
    } finally {
      await harness.restartExecutor();
    }
    const rows = await db.exportAuditEvent.findMany({ where: { teamId: team.id }, select: { exportId: true, outcome: true, error: true, finishedAt: true } });
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ outcome: "FAILED", error: "The export could not be queued; please try again" });
    expect(rows[0]!.finishedAt).toBeInstanceOf(Date);
    expect((await team.trpc.exports.get({ teamId: team.id, exportId: rows[0]!.exportId })).status).toBe("FAILED");
  });
});
