/**
 * "mark completed" and another end that reach an export at once. completeExport and
 * cancelExport each close the audit row before they write the job's end, so that the REST
 * download, which answers the instant the job ends, finds the row closed. A cancel that lands
 * between the upload and the job's completion leaves the export CANCELLED in the job store and
 * in the audit log, its file gone; one whose job write comes after the completion is refused,
 * and the row it closed takes COMPLETED. A failure that recorded its outcome first but lost the
 * job to the completion yields to it.
 *
 * The export function runs under @inngest/test, which executes its steps for real in this
 * process (real Redis, PostgreSQL and s3rver): the test stops the run after its upload, cancels
 * the export, and then runs "mark completed" with the earlier steps' own results. Where the
 * completion must fall between a cancel's two writes, a spy on the job store runs it there and
 * then lets the cancel's real write go on.
 */
import { InngestTestEngine } from "@inngest/test";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";

import { type ExportHarness, startExportHarness } from "./support/export-harness";
import { TEST_SOURCE_DATABASE_URL as PG_URL } from "./support/test-env";

let harness: ExportHarness;
let app: typeof import("./support/export-app");
let services: typeof import("~/server/services");
let audit: typeof import("~/server/audit/export-audit");
let db: typeof import("~/server/db").db;

beforeAll(async () => {
  harness = await startExportHarness();
  app = await import("./support/export-app");
  services = await import("~/server/services");
  audit = await import("~/server/audit/export-audit");
  ({ db } = await import("~/server/db"));
}, 120_000);

afterAll(async () => {
  await harness?.close();
});

async function engineFor(event: { name: string; data: Record<string, unknown> }, steps: InngestTestEngine.MockedStep[] = []) {
  const { exportMetricData } = await import("~/server/jobs/functions/export-metric-data");
  return new InngestTestEngine({ function: exportMetricData, events: [event], steps });
}

/**
 * A metric export as the start path creates it (job record and audit row), run up to and
 * including its upload; returns what "mark completed" needs to run next: the earlier steps'
 * results, as the engine would replay them.
 */
async function uploadedExport() {
  const team = await app.teamWithSource("POSTGRES", { url: PG_URL });
  const metric = await team.metric("SELECT g FROM generate_series(1, 3) g");
  const exportId = crypto.randomUUID();
  await services.getJobStore().create({ id: exportId, type: "metric", resourceId: metric.id, teamId: team.id, userId: team.user.id });
  await audit.recordExportStarted({ exportId, teamId: team.id, userId: team.user.id, kind: "metric", resourceId: metric.id, channel: "REST" });
  const event = { name: "export/metric.requested", data: { exportId, teamId: team.id, userId: team.user.id, metricId: metric.id } };

  const { result: loaded } = await (await engineFor(event)).executeStep("load metric");
  const load = { id: "load metric", handler: () => loaded };
  const { result: produced } = await (await engineFor(event, [load])).executeStep("query and upload", { steps: [load] });
  expect(produced).toMatchObject({ rows: 3 });
  expect(await harness.exportObjects(team.id)).toHaveLength(1);
  // The steps around "mark completed" replay their results; the deletion run it would hand the
  // file to is another function's business.
  const otherSteps: InngestTestEngine.MockedStep[] = [load, { id: "query and upload", handler: () => produced }, { id: "schedule deletion", handler: () => undefined }];
  return {
    team,
    exportId,
    /** The run from "mark completed" on, as the engine runs it next (or again, on a retry). */
    markCompleted: async () => (await engineFor(event, otherSteps)).execute(),
  };
}

const auditRow = (exportId: string) =>
  db.exportAuditEvent.findUniqueOrThrow({ where: { exportId }, select: { outcome: true, rows: true, bytes: true, truncated: true, error: true, finishedAt: true } });

/** The export ended CANCELLED everywhere: its job, its audit row (without the file's figures or an error) and storage. */
async function expectCancelled(team: { id: string }, exportId: string) {
  expect(await services.getJobStore().get(exportId)).toMatchObject({ status: "CANCELLED", error: "Cancelled" });
  expect((await services.getJobStore().get(exportId))?.file).toBeUndefined();
  expect(await auditRow(exportId)).toMatchObject({ outcome: "CANCELLED", rows: null, bytes: null, error: null, finishedAt: expect.any(Date) });
  expect(await harness.exportObjects(team.id)).toEqual([]);
}

describe("'mark completed' and a cancel at once", () => {
  it("a cancel between the upload and 'mark completed' stands: the step is refused and the export ends CANCELLED", async () => {
    const { team, exportId, markCompleted } = await uploadedExport();
    await team.trpc.exports.cancel({ teamId: team.id, exportId });

    const { error } = await markCompleted();
    expect(error).toMatchObject({ message: "The export is already cancelled" });
    await expectCancelled(team, exportId);
  });

  it("a cancel that closed the audit row and lost the job to 'mark completed' is refused, and the row ends COMPLETED", async () => {
    const { team, exportId, markCompleted } = await uploadedExport();
    const store = services.getJobStore();
    const transition = store.transition.bind(store);
    // The run completes between the cancel's two writes: its audit row (first) and the job.
    const between = vi.spyOn(store, "transition").mockImplementationOnce(async (...args) => {
      expect(await auditRow(exportId)).toMatchObject({ outcome: "CANCELLED" });
      expect((await markCompleted()).error).toBeUndefined();
      return transition(...args);
    });
    try {
      await expect(team.trpc.exports.cancel({ teamId: team.id, exportId })).rejects.toMatchObject({ code: "CONFLICT" });
    } finally {
      between.mockRestore();
    }
    const job = await store.get(exportId);
    expect(job).toMatchObject({ status: "COMPLETED", file: { rowCount: 3 } });
    expect(await auditRow(exportId)).toMatchObject({ outcome: "COMPLETED", rows: 3, bytes: BigInt(job!.file!.size) });
    expect(await harness.exportObjects(team.id)).toEqual([job!.file!.key]);
  });

  it("a cancel after 'mark completed' closed the audit row, before it marked the job, ends the row CANCELLED too", async () => {
    const { team, exportId, markCompleted } = await uploadedExport();
    // The step's first write, as a step that stopped right after it leaves it.
    await audit.recordExportOutcome(exportId, "COMPLETED", { rows: 3, bytes: 10, truncated: false });
    await team.trpc.exports.cancel({ teamId: team.id, exportId });
    await expectCancelled(team, exportId);

    // The step tried again is refused and changes nothing.
    expect((await markCompleted()).error).toMatchObject({ message: "The export is already cancelled" });
    await expectCancelled(team, exportId);
  });

  it("'mark completed' that beats a failure recorded ahead of its job write ends the row COMPLETED", async () => {
    const { exportId, markCompleted } = await uploadedExport();
    // A settling failure's first write (settleUnfinishedExport); its transition would be refused.
    await audit.recordExportOutcome(exportId, "FAILED", { error: "The export failed: a worker stopped" });

    expect((await markCompleted()).error).toBeUndefined();
    const job = await services.getJobStore().get(exportId);
    expect(job).toMatchObject({ status: "COMPLETED", file: { rowCount: 3 } });
    expect(await db.exportAuditEvent.findUniqueOrThrow({ where: { exportId } })).toMatchObject({
      outcome: "COMPLETED",
      rows: 3,
      bytes: BigInt(job!.file!.size),
      error: null,
    });
  });

  it("a cancel that beats a failure recorded ahead of its job write ends the row CANCELLED, without the failure's error", async () => {
    const { team, exportId } = await uploadedExport();
    await audit.recordExportOutcome(exportId, "FAILED", { error: "The export failed: a worker stopped" });
    await team.trpc.exports.cancel({ teamId: team.id, exportId });
    await expectCancelled(team, exportId);
  });

  it("'mark completed' tried again after it completed the export succeeds and leaves it COMPLETED", async () => {
    const { team, exportId, markCompleted } = await uploadedExport();
    expect((await markCompleted()).error).toBeUndefined();
    const job = await services.getJobStore().get(exportId);
    expect(job).toMatchObject({ status: "COMPLETED", file: { rowCount: 3 } });
    const completed = await auditRow(exportId);
    expect(completed).toMatchObject({ outcome: "COMPLETED", rows: 3, bytes: BigInt(job!.file!.size), truncated: false });

    expect((await markCompleted()).error).toBeUndefined();
    expect(await services.getJobStore().get(exportId)).toEqual(job);
    expect(await auditRow(exportId)).toEqual(completed);
    expect(await harness.exportObjects(team.id)).toHaveLength(1);
    // A completed export cannot be cancelled, and its row stays as it is.
    await expect(team.trpc.exports.cancel({ teamId: team.id, exportId })).rejects.toMatchObject({ code: "CONFLICT" });
    expect(await auditRow(exportId)).toEqual(completed);
  });
});
