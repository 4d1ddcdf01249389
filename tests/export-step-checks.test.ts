/**
 * Issue 17, item 1: a step never trusts its inputs for authorisation. The event and the
 * results of earlier steps ("memos") arrive in the request body, so a forged request could
 * name team B's metric while carrying a "load metric" result whose file key is one of team
 * C's exports; C's own download link would then serve B's rows. Here the export function
 * runs under @inngest/test, which executes its steps for real in this process (real Redis,
 * PostgreSQL and s3rver) and lets a test hand it exactly such forged memos. The signature on
 * /api/inngest (helper 1's part) keeps forged requests out; these checks are what is left
 * when one gets through.
 */
import { Readable } from "node:stream";

import { GetObjectCommand, ListObjectsV2Command } from "@aws-sdk/client-s3";
import { InngestTestEngine } from "@inngest/test";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

import { type ExportHarness, startExportHarness } from "./support/export-harness";
import { TEST_SOURCE_DATABASE_URL as PG_URL } from "./support/test-env";

let harness: ExportHarness;
let app: typeof import("./support/export-app");

beforeAll(async () => {
  // The victim's file must outlive the test.
  harness = await startExportHarness({ env: { EXPORT_FILE_TTL_SECONDS: "600" } });
  app = await import("./support/export-app");
}, 120_000);

afterAll(async () => {
  await harness?.close();
});

async function objectText(key: string): Promise<string> {
  const { getStorage } = await import("~/server/services");
  const object = await getStorage().client.send(new GetObjectCommand({ Bucket: harness.bucket, Key: key }));
  return object.Body!.transformToString();
}

async function keysUnder(prefix: string): Promise<string[]> {
  const { getStorage } = await import("~/server/services");
  const listed = await getStorage().client.send(new ListObjectsV2Command({ Bucket: harness.bucket, Prefix: prefix }));
  return (listed.Contents ?? []).map((o) => o.Key!);
}

/** Team C with a finished export (the victim), and team B with a metric whose rows must not reach C's file. */
async function victimAndAttacker() {
  const victim = await app.teamWithSource("POSTGRES", { url: PG_URL });
  const victimMetric = await victim.metric("SELECT 'victim row' AS owner FROM generate_series(1, 3)");
  const victimJob = await victim.exportAndWait(victimMetric.id);
  expect(victimJob.status).toBe("COMPLETED");
  const victimKey = victimJob.file!.key;
  const victimCsv = await objectText(victimKey);

  const attacker = await app.teamWithSource("POSTGRES", { url: PG_URL });
  const attackerMetric = await attacker.metric("SELECT 'attacker row' AS owner");
  return { victim, victimJob, victimKey, victimCsv, attacker, attackerMetric };
}

/** B's export as the start path creates it (job record and audit row), and its event; no run is started. */
async function attackerExport(attacker: { id: string; user: { id: string } }, metricId: string) {
  const { getJobStore } = await import("~/server/services");
  const { recordExportStarted } = await import("~/server/audit/export-audit");
  const exportId = crypto.randomUUID();
  await getJobStore().create({ id: exportId, type: "metric", resourceId: metricId, teamId: attacker.id, userId: attacker.user.id });
  await recordExportStarted({ exportId, teamId: attacker.id, userId: attacker.user.id, kind: "metric", resourceId: metricId, channel: "REST" });
  const data = { exportId, teamId: attacker.id, userId: attacker.user.id, metricId };
  return { exportId, event: { name: "export/metric.requested", data } };
}

async function engineFor(event: { name: string; data: Record<string, unknown> }, steps: InngestTestEngine.MockedStep[] = []) {
  const { exportMetricData } = await import("~/server/jobs/functions/export-metric-data");
  return new InngestTestEngine({ function: exportMetricData, events: [event], steps });
}

describe("export steps check the job record themselves", () => {
  it("refuses a forged 'load metric' result that points at another team's file: nothing written there, the export FAILED", async () => {
    const { victimKey, victimCsv, attacker, attackerMetric } = await victimAndAttacker();
    const { exportId, event } = await attackerExport(attacker, attackerMetric.id);
    // The real "load metric" runs first and records B's own key on the job.
    await (await engineFor(event)).executeStep("load metric");
    const { getJobStore } = await import("~/server/services");
    const ownKey = await getJobStore().fileKey(exportId);
    // exports/<team>/<lifetime>s/<32 hex>/… (newExportKey), the lifetime being EXPORT_FILE_TTL_SECONDS.
    expect(ownKey).toMatch(new RegExp(`^exports/${attacker.id}/600s/[0-9a-f]{32}/`));

    const forged = { plan: {}, key: victimKey, fileName: "stolen.csv" };
    const { error } = await (await engineFor(event, [{ id: "load metric", handler: () => forged }])).execute();
    expect(error).toMatchObject({ message: "The export was stopped: the file it was about to write is not its own" });

    expect(await objectText(victimKey)).toBe(victimCsv);
    expect(await keysUnder(`exports/${attacker.id}/`)).toEqual([]);
    expect(await getJobStore().get(exportId)).toMatchObject({
      status: "FAILED",
      errorCode: "FORBIDDEN",
      error: "The export was stopped: the file it was about to write is not its own",
    });
    const { db } = await import("~/server/db");
    expect(await db.exportAuditEvent.findUniqueOrThrow({ where: { exportId } })).toMatchObject({ outcome: "FAILED", error: expect.stringContaining("not its own") });
  });

  it("refuses a forged key under the right team's prefix that is not the export's own", async () => {
    const { attacker, attackerMetric } = await victimAndAttacker();
    const { exportId, event } = await attackerExport(attacker, attackerMetric.id);
    await (await engineFor(event)).executeStep("load metric");
    const sibling = `exports/${attacker.id}/${"ab".repeat(16)}/other.csv`;
    const { error } = await (await engineFor(event, [{ id: "load metric", handler: () => ({ plan: {}, key: sibling, fileName: "x.csv" }) }])).execute();
    expect(error).toMatchObject({ message: expect.stringMatching(/not its own/) });
    expect(await keysUnder(`exports/${attacker.id}/`)).toEqual([]);
    const { getJobStore } = await import("~/server/services");
    expect((await getJobStore().get(exportId))?.status).toBe("FAILED");
  });

  it("will not complete an export with another team's file, even when every earlier memo is forged", async () => {
    const { victimKey, victimCsv, attacker, attackerMetric } = await victimAndAttacker();
    const { exportId, event } = await attackerExport(attacker, attackerMetric.id);
    await (await engineFor(event)).executeStep("load metric");
    const forged: InngestTestEngine.MockedStep[] = [
      { id: "load metric", handler: () => ({ plan: {}, key: victimKey, fileName: "stolen.csv" }) },
      { id: "query and upload", handler: () => ({ rows: 3, bytes: 60, truncated: false }) },
    ];
    const { error } = await (await engineFor(event, forged)).execute();
    expect(error).toMatchObject({ message: expect.stringMatching(/not its own/) });
    const { getJobStore } = await import("~/server/services");
    const job = await getJobStore().get(exportId);
    // Completed with C's key, B's download link would have served C's rows.
    expect(job).toMatchObject({ status: "FAILED", errorCode: "FORBIDDEN" });
    expect(job?.file).toBeUndefined();
    expect(await objectText(victimKey)).toBe(victimCsv);
  });

  it("leaves another team's finished export and its file alone when a forged run fails, onFailure included", async () => {
    const { victim, victimCsv, attacker, attackerMetric } = await victimAndAttacker();
    const { getJobStore, getStorage } = await import("~/server/services");
    const { newExportKey } = await import("~/server/storage");
    // A finished export of the victim's that no run has claimed yet (the engine keeps each
    // export id to one run), with its file in storage.
    const exportId = crypto.randomUUID();
    const key = newExportKey(victim.id, "victim.csv", 600);
    await getJobStore().create({ id: exportId, type: "metric", resourceId: "victim-metric", teamId: victim.id, userId: victim.user.id });
    await getJobStore().transition(exportId, "PROCESSING", { fileKey: key });
    await getStorage().uploadStream({ key, body: Readable.from([victimCsv]) });
    const file = { key, name: "victim.csv", size: victimCsv.length, rowCount: 3, truncated: false, expiresAt: new Date(Date.now() + 600_000).toISOString() };
    await getJobStore().transition(exportId, "COMPLETED", { file });

    // The engine runs the forged event for real: its load step refuses the record, the run
    // fails, and the engine calls onFailure with the same event.
    const { inngest } = await import("~/server/jobs/inngest-client");
    await inngest.send({ name: "export/metric.requested", data: { exportId, teamId: attacker.id, userId: attacker.user.id, metricId: attackerMetric.id } });
    const failedEvent = (data: Record<string, unknown>) => (data.event as { data?: { exportId?: string } } | undefined)?.data;
    const onFailure = () => harness.executor.runs().find((r) => r.functionId.endsWith("export-metric-data-failure") && failedEvent(r.event.data)?.exportId === exportId);
    await app.waitFor(async () => onFailure()?.status === "Completed", 30_000);

    expect(await getJobStore().getForTeam(victim.id, exportId)).toMatchObject({ status: "COMPLETED", file: { key } });
    expect((await getJobStore().get(exportId))?.file?.deletedAt).toBeUndefined();
    expect(await objectText(key)).toBe(victimCsv);
  });

  it("leaves alone, and reads nothing for, an event that names another team's export", async () => {
    const { victim, victimJob, victimKey, victimCsv, attacker, attackerMetric } = await victimAndAttacker();
    // The victim's export id with the attacker's team, user and metric: the record does not match.
    const event = { name: "export/metric.requested", data: { exportId: victimJob.id, teamId: attacker.id, userId: attacker.user.id, metricId: attackerMetric.id } };
    const { error } = await (await engineFor(event, [{ id: "load metric", handler: () => ({ plan: {}, key: victimKey, fileName: "x.csv" }) }])).execute();
    expect(error).toMatchObject({ message: "The run does not match the export it names" });
    const { getJobStore } = await import("~/server/services");
    expect(await getJobStore().getForTeam(victim.id, victimJob.id)).toMatchObject({ status: "COMPLETED", file: { key: victimKey } });
    expect(await objectText(victimKey)).toBe(victimCsv);
  });
});
