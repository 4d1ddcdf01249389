/**
 * A run that the engine ends settles its job (issue 17, item 2). Inngest emits
 * `inngest/function.cancelled` when `timeouts.finish` ends a run, when an operator cancels
 * it, and when a `cancelOn` event does; its data carries the run's `function_id` and its
 * triggering `event`, and nothing that tells the reasons apart (finalize.go in inngest/inngest).
 * The local executor emits the same event from `end()`, including on `timeouts.finish`.
 *
 * A 5-minute finish timeout cannot be waited for here, so the tests that need one send the
 * event as the engine sends it, for a real running export whose job has been made to look
 * 6 minutes old; the user-cancel test lets the executor emit it by itself.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";

import { type ExportHarness, startExportHarness } from "./support/export-harness";
import { TEST_SOURCE_DATABASE_URL as PG_URL } from "./support/test-env";

let harness: ExportHarness;
let app: typeof import("./support/export-app");
let services: typeof import("~/server/services");
let db: typeof import("~/server/db").db;

beforeAll(async () => {
  harness = await startExportHarness();
  app = await import("./support/export-app");
  services = await import("~/server/services");
  ({ db } = await import("~/server/db"));
}, 120_000);

afterAll(async () => {
  await harness?.close();
});

const runsOf = (fn: string) => harness.executor.runs().filter((r) => r.functionId.endsWith(fn));

/** A metric export whose producing step is at work (its query sleeping), and its run in the executor. */
async function runningExport(marker: string) {
  const team = await app.teamWithSource("POSTGRES", { url: PG_URL });
  const metric = await team.metric(`SELECT g, '${marker}' AS marker FROM generate_series(1, 3) g, (SELECT pg_sleep(20)) AS pause`);
  const { exportId } = await team.trpc.metrics.export({ teamId: team.id, metricId: metric.id });
  await app.waitFor(async () => (await services.getJobStore().readStates([exportId]))[0]?.heartbeatAt != null, 15_000);
  const run = runsOf("export-metric-data").find((r) => r.event.data.exportId === exportId)!;
  return { team, exportId, run };
}

/** `inngest/function.cancelled` as the engine emits it for `run`. */
async function engineEnded(run: { id: string; functionId: string; event: unknown }, functionId = run.functionId) {
  const { inngest } = await import("~/server/jobs/inngest-client");
  const { ids } = await inngest.send({ name: "inngest/function.cancelled", data: { function_id: functionId, run_id: run.id, event: run.event } });
  return ids[0]!;
}

describe("a run ended by the engine settles its job", () => {
  it("fails the job with TIMEOUT when the finish timeout ended its run, stopping the step and leaving nothing", async () => {
    const marker = `timeout_${Date.now()}`;
    const { team, exportId, run } = await runningExport(marker);
    const { jobKey } = await import("~/server/exports/job/job-store");
    await services.getRedis().hset(jobKey(exportId), { createdAt: new Date(Date.now() - 6 * 60_000).toISOString() });

    await engineEnded(run);
    await app.waitFor(async () => (await services.getJobStore().get(exportId))?.status === "FAILED", 15_000);
    expect(await services.getJobStore().get(exportId)).toMatchObject({ errorCode: "TIMEOUT", error: "The export did not finish within 5 minutes and was stopped" });
    await app.waitFor(async () => !(await app.activeQueries(marker)), 15_000);
    expect(await harness.exportObjects(team.id)).toEqual([]);
    expect(harness.pendingUploads()).toEqual([]);
    expect(await db.exportAuditEvent.findUniqueOrThrow({ where: { exportId } })).toMatchObject({ outcome: "FAILED", error: expect.stringContaining("did not finish within 5 minutes") });
  });

  it("cancels the job when the engine cancelled a run that had time left (an operator's cancel)", async () => {
    const marker = `operator_${Date.now()}`;
    const { exportId, run } = await runningExport(marker);
    await engineEnded(run);
    await app.waitFor(async () => (await services.getJobStore().get(exportId))?.status === "CANCELLED", 15_000);
    expect((await services.getJobStore().get(exportId))?.error).toBe("The export was cancelled");
    await app.waitFor(async () => !(await app.activeQueries(marker)), 15_000);
    expect(await db.exportAuditEvent.findUniqueOrThrow({ where: { exportId } })).toMatchObject({ outcome: "CANCELLED", error: null });
  });

  it("handles the event the local executor emits itself for a user's cancel, keeping the user's outcome", async () => {
    const { team, exportId, run } = await runningExport(`user_${Date.now()}`);
    await team.trpc.exports.cancel({ teamId: team.id, exportId });
    const settled = () => runsOf("settle-ended-export").find((r) => (r.event.data as { run_id?: string }).run_id === run.id);
    await app.waitFor(async () => settled()?.status === "Completed", 15_000);
    expect(await services.getJobStore().get(exportId)).toMatchObject({ status: "CANCELLED", error: "Cancelled" });
    expect(await db.exportAuditEvent.findUniqueOrThrow({ where: { exportId } })).toMatchObject({ outcome: "CANCELLED", error: null });
  });

  it("ignores the end of a run of any other function", async () => {
    const { team, exportId, run } = await runningExport(`other_${Date.now()}`);
    const eventId = await engineEnded(run, "export-center-delete-export-file");
    expect(runsOf("settle-ended-export").filter((r) => r.event.id === eventId)).toEqual([]);
    expect((await services.getJobStore().get(exportId))?.status).toBe("PROCESSING");
    await team.trpc.exports.cancel({ teamId: team.id, exportId });
  });
});
