/**
 * Scheduled exports for real: the local executor fires the `scheduler` cron each minute, which
 * sends `export/schedule.due`; the run starts an ordinary export (PostgreSQL, Redis, s3rver),
 * watches it end, records the outcome, and delivers it: the signed report POSTed to a local
 * webhook receiver, an email through the project's SMTP catcher, a message to a fake Slack
 * (tests/support/fake-slack.ts: Slack cannot run here), and the file copied into a second
 * bucket on the harness's s3rver.
 */
import { createHmac } from "node:crypto";
import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";

import { CreateBucketCommand, GetObjectCommand } from "@aws-sdk/client-s3";
import { TRPCError } from "@trpc/server";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ZodError } from "zod";

import { type SmtpCatcher, startSmtpCatcher } from "../dev/smtp-catcher";
import { type ExportHarness, startExportHarness } from "./support/export-harness";
import { startFakeSlack } from "./support/fake-slack";
import { TEST_SOURCE_DATABASE_URL as PG_URL } from "./support/test-env";

type Received = { url: string; headers: IncomingMessage["headers"]; body: string };

/** A webhook receiver on a free port: it records each POST and answers `status`. */
async function startReceiver() {
  const received: Received[] = [];
  const state = { status: 200 };
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      received.push({ url: req.url ?? "", headers: req.headers, body: Buffer.concat(chunks).toString("utf8") });
      res.writeHead(state.status).end();
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`,
    received,
    state,
    close: () => new Promise((r) => server.close(r)),
  };
}

/** What a refused tRPC call says: its code, and the field its message or zod issue names. */
async function refusal(promise: Promise<unknown>) {
  try {
    await promise;
  } catch (error) {
    if (!(error instanceof TRPCError)) throw error;
    // Zod names the field under the procedure's `schedule` input; the domain names it in its message.
    const field = error.cause instanceof ZodError ? error.cause.issues[0]!.path.join(".").replace(/^schedule\./, "") : error.message.split(":")[0];
    return { code: error.code, field, message: error.message };
  }
  throw new Error("expected the call to be refused");
}

let harness: ExportHarness;
let receiver: Awaited<ReturnType<typeof startReceiver>>;
let catcher: SmtpCatcher;
let slack: Awaited<ReturnType<typeof startFakeSlack>>;
let fixtures: typeof import("./support/fixtures");
let visits: typeof import("./support/visit-fixtures");
let app: typeof import("./support/export-app");
let db: typeof import("~/server/db").db;

beforeAll(async () => {
  catcher = await startSmtpCatcher();
  slack = await startFakeSlack();
  harness = await startExportHarness({ env: { APP_URL: "https://exports.example.test", EMAIL_SERVER: catcher.smtpUrl, EMAIL_FROM: "Export Center <exports@example.test>" } });
  receiver = await startReceiver();
  fixtures = await import("./support/fixtures");
  visits = await import("./support/visit-fixtures");
  app = await import("./support/export-app");
  ({ db } = await import("~/server/db"));
}, 120_000);

afterAll(async () => {
  await receiver?.close();
  await harness?.close();
  await slack?.close();
  await catcher?.close();
});

const runsOf = (scheduleId: string) => db.scheduleRun.findMany({ where: { scheduleId }, orderBy: { startedAt: "asc" }, include: { deliveries: true } });

describe("a schedule every minute", () => {
  it("runs twice on the executor's cron, each run an export in the owner's name, delivered to all four destinations, the webhook's signed", async () => {
    const seeded = await visits.seedVisits({ views: 3 });
    const trpc = fixtures.trpcAs(fixtures.sessionCaller(seeded.user.id));
    const bucket = `customer-${Date.now()}`;
    const { getStorage } = await import("~/server/services");
    await getStorage().client.send(new CreateBucketCommand({ Bucket: bucket }));
    const recipient = `team-${Date.now()}@example.test`;
    const destinations = [
      { type: "webhook" as const, url: receiver.url },
      { type: "email" as const, to: [recipient] },
      { type: "slack" as const, webhookUrl: slack.url },
      { type: "s3" as const, bucket, prefix: "every-minute", region: "us-east-1", endpoint: (await import("~/env")).getEnv().S3_ENDPOINT!, forcePathStyle: true, accessKeyId: "S3RVER", secretAccessKey: "S3RVER" },
    ];
    const created = await trpc.schedules.create({
      teamId: seeded.team.id,
      schedule: {
        name: "Every minute",
        export: { kind: "document", documentId: seeded.document.id },
        format: "csv",
        cron: "* * * * *",
        timezone: "Europe/Paris",
        enabled: true,
        retentionDays: 2,
        destinations,
      },
    });
    expect(created.signingSecret).toMatch(/^whsec_[0-9a-f]{64}$/);
    expect(JSON.stringify(await trpc.schedules.get({ teamId: seeded.team.id, scheduleId: created.id }))).not.toContain(created.signingSecret!);

    await app.waitFor(async () => (await runsOf(created.id)).filter((r) => r.deliveries.length === destinations.length).length >= 2, 150_000, 1_000);
    const runs = (await runsOf(created.id)).slice(0, 2);
    expect(runs.map((r) => r.status)).toEqual(["COMPLETED", "COMPLETED"]);
    // Two consecutive minutes, each slot on the minute.
    expect(runs[1]!.dueAt.getTime() - runs[0]!.dueAt.getTime()).toBe(60_000);
    for (const run of runs) {
      expect(run).toMatchObject({ rows: 3, truncated: false });
      const deliveries = [...run.deliveries].sort((a, b) => a.destinationIndex - b.destinationIndex);
      expect(deliveries.map((d) => [d.destination, d.status, d.reason])).toEqual(destinations.map((d) => [d.type, "DELIVERED", null]));
      const { getJobStore } = await import("~/server/services");
      const job = await getJobStore().get(run.exportId!);
      // Email: the figures and the app's link, the small file attached.
      const mail = (await catcher.messages()).find((m) => m.to.includes(recipient) && m.text.includes(run.exportId!));
      expect(mail?.attachments.map((a) => a.filename)).toEqual([job!.file!.name]);
      // Slack: the figures and the link.
      expect(slack.received.some((p) => JSON.stringify(p).includes(run.exportId!) && p.text.includes("3 rows"))).toBe(true);
      // The customer's bucket: the file, byte for byte.
      const copy = await getStorage().client.send(new GetObjectCommand({ Bucket: bucket, Key: `every-minute/${run.exportId}/${job!.file!.name}` }));
      const ours = await getStorage().openObject(job!.file!.key);
      expect(Buffer.from(await copy.Body!.transformToByteArray()).equals(Buffer.concat(await ours.body.toArray()))).toBe(true);
      expect(job).toMatchObject({ status: "COMPLETED", userId: seeded.user.id, channel: "SCHEDULE" });
      // The file lives the schedule's retention (2 days), not the kind's own lifetime.
      const lifetime = Date.parse(job!.file!.expiresAt) - Date.parse(job!.completedAt!);
      expect(Math.abs(lifetime - 2 * 86_400_000)).toBeLessThan(60_000);
      const audit = await db.exportAuditEvent.findUnique({ where: { exportId: run.exportId! } });
      expect(audit).toMatchObject({ channel: "SCHEDULE", userId: seeded.user.id, outcome: "COMPLETED", rows: 3 });
    }

    const reports = receiver.received.filter((r) => JSON.parse(r.body).scheduleId === created.id);
    expect(reports.length).toBeGreaterThanOrEqual(2);
    for (const report of reports.slice(0, 2)) {
      const expected = `sha256=${createHmac("sha256", created.signingSecret!).update(report.body).digest("hex")}`;
      expect(report.headers["x-export-center-signature"]).toBe(expected);
      const payload = JSON.parse(report.body);
      expect(payload).toMatchObject({
        event: "export.completed",
        teamId: seeded.team.id,
        status: "COMPLETED",
        format: "csv",
        rowCount: 3,
        truncated: false,
        error: null,
        downloadUrl: `https://exports.example.test/api/teams/${seeded.team.id}/export-jobs/${payload.exportId}?download=true`,
      });
      expect(payload.fileName).toMatch(/\.csv$/);
      expect(payload.fileSize).toBeGreaterThan(0);
    }

    // The link in the message is the app's own: it answers with a fresh presigned link.
    const token = await fixtures.tokenFor(seeded.user.id, seeded.team.id);
    const { getExportJob } = await import("~/server/rest/export-routes");
    const exportId = runs[0]!.exportId!;
    const download = await getExportJob(new Request(`http://test/api/teams/${seeded.team.id}/export-jobs/${exportId}?download=true`, { headers: { authorization: `Bearer ${token}` } }), {
      params: Promise.resolve({ teamId: seeded.team.id, exportId }),
    });
    expect(download.status).toBe(302);
    const file = await fetch(download.headers.get("location")!);
    expect(file.status).toBe(200);
    expect((await file.text()).split("\n").filter(Boolean).length).toBe(4);

    const history = await trpc.schedules.runs({ teamId: seeded.team.id, scheduleId: created.id, limit: 1, offset: 0 });
    expect(history.runs).toHaveLength(1);
    expect(history.total).toBeGreaterThanOrEqual(2);
    expect(history.runs[0]!.delivery).toBe("delivered to 4 of 4");
    await trpc.schedules.delete({ teamId: seeded.team.id, scheduleId: created.id });
  }, 200_000);
});

describe("runs that go wrong", () => {
  it("a webhook that is down is retried with backoff, then recorded as failed; the run keeps its file", async () => {
    const seeded = await visits.seedVisits({ views: 2 });
    const member = await fixtures.addMember(seeded.team.id, "MEMBER");
    const owner = fixtures.trpcAs(fixtures.sessionCaller(seeded.user.id));
    const down = await startReceiver();
    down.state.status = 503;
    const schedule = await owner.schedules.create({
      teamId: seeded.team.id,
      schedule: {
        name: "Down",
        export: { kind: "dataroom", dataroomId: seeded.dataroom.id },
        format: "csv",
        cron: "0 9 * * 1",
        timezone: "UTC",
        enabled: true,
        destinations: [{ type: "webhook", url: down.url }],
      },
    });
    // A member may run it now; the export is still the owner's.
    const { exportId } = await fixtures.trpcAs(fixtures.sessionCaller(member.id)).schedules.runNow({ teamId: seeded.team.id, scheduleId: schedule.id });
    await app.waitFor(async () => (await runsOf(schedule.id))[0]?.deliveries.length === 1, 60_000, 200);
    const [run] = await runsOf(schedule.id);
    expect(run).toMatchObject({ exportId, status: "COMPLETED", rows: 2 });
    expect(run!.deliveries[0]).toMatchObject({ status: "FAILED", reason: "The webhook answered HTTP 503", tries: 4 });
    expect(down.received).toHaveLength(4);
    const runs = await owner.schedules.runs({ teamId: seeded.team.id, scheduleId: schedule.id, limit: 20, offset: 0 });
    expect(runs.runs[0]!.delivery).toBe("delivered to 0 of 1");
    const { getJobStore } = await import("~/server/services");
    expect(await getJobStore().get(exportId)).toMatchObject({ status: "COMPLETED", userId: seeded.user.id });
    await down.close();
  }, 90_000);

  it("five failed runs in a row pause the schedule, with the reason, and each failure is reported", async () => {
    const team = await app.teamWithSource("POSTGRES", { url: PG_URL });
    const metric = await team.metric("SELECT * FROM no_such_table_for_schedules");
    const schedule = await team.trpc.schedules.create({
      teamId: team.id,
      schedule: {
        name: "Broken",
        export: { kind: "metric", metricId: metric.id },
        format: "csv",
        cron: "0 9 * * *",
        timezone: "UTC",
        enabled: true,
        destinations: [{ type: "webhook", url: receiver.url }],
      },
    });
    for (let i = 1; i <= 5; i++) {
      await team.trpc.schedules.runNow({ teamId: team.id, scheduleId: schedule.id });
      await app.waitFor(async () => (await runsOf(schedule.id)).filter((r) => r.deliveries.length === 1).length === i, 60_000, 200);
    }
    const runs = await runsOf(schedule.id);
    expect(runs.map((r) => r.status)).toEqual(Array(5).fill("FAILED"));
    expect(runs[0]!.error).toContain("no_such_table_for_schedules");
    const paused = await team.trpc.schedules.get({ teamId: team.id, scheduleId: schedule.id });
    expect(paused).toMatchObject({ consecutiveFailures: 5, nextRunAt: null });
    expect(paused.pausedAt).toBeInstanceOf(Date);
    expect(paused.pauseReason).toMatch(/^Paused after 5 failed runs in a row; the last: .*no_such_table_for_schedules/);
    const failedReports = receiver.received.map((r) => JSON.parse(r.body)).filter((p) => p.scheduleId === schedule.id);
    expect(failedReports).toHaveLength(5);
    expect(failedReports[0]).toMatchObject({ event: "export.failed", status: "FAILED", downloadUrl: null, error: expect.stringContaining("no_such_table_for_schedules") });
    // The pause alert comes once, on the fifth failure's report, with the reason.
    expect(failedReports.map((p) => p.schedulePaused)).toEqual([false, false, false, false, true]);
    expect(failedReports[4].pauseReason).toMatch(/^Paused after 5 failed runs in a row/);

    const resumed = await team.trpc.schedules.update({ teamId: team.id, scheduleId: schedule.id, changes: { paused: false } });
    expect(resumed).toMatchObject({ consecutiveFailures: 0, pausedAt: null, pauseReason: null });
    expect(resumed.nextRunAt).toBeInstanceOf(Date);

    const changes = await team.trpc.audit.scheduleChanges({ teamId: team.id, scheduleId: schedule.id });
    expect(changes.map((c) => [c.change, c.user?.id ?? null])).toEqual([
      ["RESUMED", team.user.id],
      ["AUTO_PAUSED", null],
      ...Array(5).fill(["RUN_NOW", team.user.id]),
      ["CREATED", team.user.id],
    ]);
    expect(changes[1]!.reason).toBe(paused.pauseReason);
  }, 200_000);
});

/** The rows of a run's file, through the app's own download link. */
async function downloadedRows(teamId: string, userId: string, exportId: string): Promise<string[]> {
  const token = await fixtures.tokenFor(userId, teamId);
  const { getExportJob } = await import("~/server/rest/export-routes");
  const download = await getExportJob(new Request(`http://test/api/teams/${teamId}/export-jobs/${exportId}?download=true`, { headers: { authorization: `Bearer ${token}` } }), {
    params: Promise.resolve({ teamId, exportId }),
  });
  expect(download.status).toBe(302);
  return (await (await fetch(download.headers.get("location")!)).text()).split(/\r?\n/).filter(Boolean);
}

/** Runs the schedule now and waits for its run's deliveries; the run. */
async function runNowAndWait(trpc: ReturnType<typeof fixtures.trpcAs>, teamId: string, scheduleId: string) {
  const { exportId } = await trpc.schedules.runNow({ teamId, scheduleId });
  await app.waitFor(async () => ((await runsOf(scheduleId)).find((r) => r.exportId === exportId)?.deliveries.length ?? 0) > 0, 60_000, 200);
  return (await runsOf(scheduleId)).find((r) => r.exportId === exportId)!;
}

describe("a metric's version", () => {
  it("a schedule pinned to version 1 exports version 1's rows after a version 2; without a version, the latest", async () => {
    const team = await app.teamWithSource("POSTGRES", { url: PG_URL });
    const metric = await team.metric("SELECT 'version one' AS v");
    await team.trpc.metrics.update({ teamId: team.id, metricId: metric.id, sql: "SELECT 'version two' AS v" });
    const schedule = await team.trpc.schedules.create({
      teamId: team.id,
      schedule: { name: "Pinned", export: { kind: "metric", metricId: metric.id, metricVersion: 1 }, format: "csv", cron: "0 9 * * *", timezone: "UTC", enabled: false, destinations: [{ type: "webhook", url: receiver.url }] },
    });
    expect(schedule.export).toEqual({ kind: "metric", metricId: metric.id, metricVersion: 1 });
    const pinned = await runNowAndWait(team.trpc, team.id, schedule.id);
    expect(pinned).toMatchObject({ status: "COMPLETED", rows: 1 });
    expect(await downloadedRows(team.id, team.user.id, pinned.exportId!)).toEqual(["v", "version one"]);

    const latest = await team.trpc.schedules.update({ teamId: team.id, scheduleId: schedule.id, changes: { export: { kind: "metric", metricId: metric.id } } });
    expect(latest.export).toEqual({ kind: "metric", metricId: metric.id, metricVersion: null });
    const run = await runNowAndWait(team.trpc, team.id, schedule.id);
    expect(await downloadedRows(team.id, team.user.id, run.exportId!)).toEqual(["v", "version two"]);
  }, 90_000);

  it("a version the metric does not have is refused, naming the field, and nothing is created or changed", async () => {
    const team = await app.teamWithSource("POSTGRES", { url: PG_URL });
    const metric = await team.metric("SELECT 1 AS one");
    const schedule = { name: "Unknown version", format: "csv" as const, cron: "0 9 * * *", timezone: "UTC", enabled: true, destinations: [{ type: "webhook" as const, url: receiver.url }] };
    const refused = await refusal(team.trpc.schedules.create({ teamId: team.id, schedule: { ...schedule, export: { kind: "metric", metricId: metric.id, metricVersion: 2 } } }));
    expect(refused).toMatchObject({ code: "NOT_FOUND", field: "export.metricVersion", message: "export.metricVersion: the metric has no version 2" });
    // The one-off export's name for it is not taken silently.
    const misnamed = { ...schedule, export: { kind: "metric", metricId: metric.id, metricVersionNumber: 1 } } as unknown as typeof schedule & { export: { kind: "metric"; metricId: string } };
    expect(await refusal(team.trpc.schedules.create({ teamId: team.id, schedule: misnamed }))).toMatchObject({ code: "BAD_REQUEST", field: "export" });
    expect(await db.schedule.count({ where: { teamId: team.id } })).toBe(0);

    const created = await team.trpc.schedules.create({ teamId: team.id, schedule: { ...schedule, export: { kind: "metric", metricId: metric.id, metricVersion: 1 } } });
    const change = refusal(team.trpc.schedules.update({ teamId: team.id, scheduleId: created.id, changes: { name: "Renamed", export: { kind: "metric", metricId: metric.id, metricVersion: 7 } } }));
    expect(await change).toMatchObject({ code: "NOT_FOUND", field: "export.metricVersion" });
    expect(await team.trpc.schedules.get({ teamId: team.id, scheduleId: created.id })).toMatchObject({ name: "Unknown version", export: { metricVersion: 1 } });
  }, 60_000);
});

describe("a change that keeps a destination", () => {
  it("keeps the stored destination as it is, its signing secret too, and refuses an index the schedule does not have", async () => {
    const seeded = await visits.seedVisits({ views: 2 });
    const owner = fixtures.trpcAs(fixtures.sessionCaller(seeded.user.id));
    const schedule = await owner.schedules.create({
      teamId: seeded.team.id,
      schedule: {
        name: "Two hooks",
        export: { kind: "document", documentId: seeded.document.id },
        format: "csv",
        cron: "0 9 * * *",
        timezone: "UTC",
        enabled: false,
        destinations: [{ type: "webhook", url: `${receiver.url}?first` }, { type: "webhook", url: `${receiver.url}?second` }],
      },
    });
    const before = await db.schedule.findUniqueOrThrow({ where: { id: schedule.id }, select: { destinations: true } });

    const refused = await refusal(owner.schedules.update({ teamId: seeded.team.id, scheduleId: schedule.id, changes: { name: "Gone", destinations: [{ keep: 0 }, { keep: 2 }] } }));
    expect(refused).toMatchObject({ code: "BAD_REQUEST", field: "destinations.1", message: "destinations.1: keeps destination 2, but the schedule has 2 (numbered from 0)" });
    const badNew = await refusal(owner.schedules.update({ teamId: seeded.team.id, scheduleId: schedule.id, changes: { destinations: [{ keep: 0 }, { type: "webhook" } as never] } }));
    expect(badNew).toMatchObject({ code: "BAD_REQUEST", field: "changes.destinations.1" });
    expect(badNew.message).toContain("url: must be an http(s) URL");
    // REST takes the same change, with the error shape and its issue.
    const { updateTeamSchedule } = await import("~/server/rest/schedule-routes");
    const token = await fixtures.tokenFor(seeded.user.id, seeded.team.id);
    const patch = await updateTeamSchedule(
      new Request(`http://test/api/teams/${seeded.team.id}/schedules/${schedule.id}`, { method: "PATCH", headers: { authorization: `Bearer ${token}`, "content-type": "application/json" }, body: JSON.stringify({ destinations: [{ keep: 3 }] }) }),
      { params: Promise.resolve({ teamId: seeded.team.id, scheduleId: schedule.id }) },
    );
    expect(patch.status).toBe(400);
    expect(await patch.json()).toMatchObject({ message: "destinations.0: keeps destination 3, but the schedule has 2 (numbered from 0)", issues: [{ path: "destinations.0" }] });
    expect(await owner.schedules.get({ teamId: seeded.team.id, scheduleId: schedule.id })).toMatchObject({ name: "Two hooks", destinations: [{ type: "webhook" }, { type: "webhook" }] });

    const changed = await owner.schedules.update({ teamId: seeded.team.id, scheduleId: schedule.id, changes: { destinations: [{ keep: 1 }, { type: "webhook", url: `${receiver.url}?third` }] } });
    expect(changed.signingSecret).toBeUndefined();
    const after = await db.schedule.findUniqueOrThrow({ where: { id: schedule.id }, select: { destinations: true } });
    expect((after.destinations as unknown[])[0]).toEqual((before.destinations as unknown[])[1]);

    const sent = receiver.received.length;
    const run = await runNowAndWait(owner, seeded.team.id, schedule.id);
    await app.waitFor(async () => (await runsOf(schedule.id))[0]!.deliveries.length === 2, 60_000, 200);
    const delivered = receiver.received.slice(sent).filter((r) => JSON.parse(r.body).exportId === run.exportId);
    expect(delivered.map((r) => r.url).sort()).toEqual(["/hook?second", "/hook?third"]);
    // The kept webhook still signs with the secret shown when the schedule was created.
    expect(delivered[0]!.headers["x-export-center-signature"]).toBe(`sha256=${createHmac("sha256", schedule.signingSecret!).update(delivered[0]!.body).digest("hex")}`);
  }, 90_000);
});

describe("the audit of schedule changes", () => {
  it("names who changed what, by field name only, and outlives the deleted schedule", async () => {
    const team = await app.teamWithSource("POSTGRES", { url: PG_URL });
    const metric = await team.metric("SELECT 1 AS one");
    const schedule = await team.trpc.schedules.create({
      teamId: team.id,
      schedule: { name: "Nightly", export: { kind: "metric", metricId: metric.id }, format: "jsonl", compression: "gzip", cron: "0 2 * * *", timezone: "Europe/Paris", enabled: true, destinations: [{ type: "webhook", url: receiver.url }] },
    });
    await team.trpc.schedules.update({ teamId: team.id, scheduleId: schedule.id, changes: { name: "Nightly (Paris)", destinations: [{ type: "webhook", url: `${receiver.url}?secret-path` }] } });
    // A change that leaves out the file options keeps them; a new format starts uncompressed.
    expect(await team.trpc.schedules.get({ teamId: team.id, scheduleId: schedule.id })).toMatchObject({ format: "jsonl", compression: "gzip" });
    const refused = await refusal(team.trpc.schedules.update({ teamId: team.id, scheduleId: schedule.id, changes: { format: "xlsx", compression: "gzip" } }));
    expect(refused).toMatchObject({ code: "BAD_REQUEST", field: "compression" });
    expect(await team.trpc.schedules.update({ teamId: team.id, scheduleId: schedule.id, changes: { format: "xlsx" } })).toMatchObject({ format: "xlsx", compression: null });
    await team.trpc.schedules.update({ teamId: team.id, scheduleId: schedule.id, changes: { enabled: false } });
    await team.trpc.schedules.delete({ teamId: team.id, scheduleId: schedule.id });

    const changes = await team.trpc.audit.scheduleChanges({ teamId: team.id });
    expect(changes.map((c) => ({ change: c.change, fields: c.fields, name: c.scheduleName, by: c.user?.id }))).toEqual([
      { change: "DELETED", fields: [], name: "Nightly (Paris)", by: team.user.id },
      { change: "PAUSED", fields: ["enabled"], name: "Nightly (Paris)", by: team.user.id },
      { change: "UPDATED", fields: ["format"], name: "Nightly (Paris)", by: team.user.id },
      { change: "UPDATED", fields: ["name", "destinations"], name: "Nightly (Paris)", by: team.user.id },
      { change: "CREATED", fields: [], name: "Nightly", by: team.user.id },
    ]);
    expect(JSON.stringify(changes)).not.toContain("secret-path");

    const member = fixtures.trpcAs(fixtures.sessionCaller((await fixtures.addMember(team.id, "MEMBER")).id));
    expect((await refusal(member.audit.scheduleChanges({ teamId: team.id }))).code).toBe("FORBIDDEN");
  }, 60_000);
});

describe("testDestination", () => {
  it("delivers a sample report signed with the schedule's secret, and says what a failing destination answered", async () => {
    const seeded = await visits.seedVisits({ views: 1 });
    const owner = fixtures.trpcAs(fixtures.sessionCaller(seeded.user.id));
    const schedule = await owner.schedules.create({
      teamId: seeded.team.id,
      schedule: { name: "Tested", export: { kind: "document", documentId: seeded.document.id }, format: "csv", cron: "0 9 * * *", timezone: "UTC", enabled: false, destinations: [{ type: "webhook", url: receiver.url }] },
    });
    const before = receiver.received.length;
    const answer = await owner.schedules.testDestination({ teamId: seeded.team.id, scheduleId: schedule.id, destination: { type: "webhook", url: receiver.url } });
    expect(answer).toEqual({ delivered: true, reason: null });
    const sample = receiver.received[before]!;
    expect(sample.headers["x-export-center-signature"]).toBe(`sha256=${createHmac("sha256", schedule.signingSecret!).update(sample.body).digest("hex")}`);
    expect(JSON.parse(sample.body)).toMatchObject({ event: "export.completed", scheduleId: schedule.id, teamId: seeded.team.id });

    const down = await startReceiver();
    down.state.status = 410;
    expect(await owner.schedules.testDestination({ teamId: seeded.team.id, destination: { type: "webhook", url: down.url } })).toEqual({ delivered: false, reason: "The webhook answered HTTP 410" });
    await down.close();
    const member = fixtures.trpcAs(fixtures.sessionCaller((await fixtures.addMember(seeded.team.id, "MEMBER")).id));
    expect(await refusal(member.schedules.testDestination({ teamId: seeded.team.id, destination: { type: "webhook", url: receiver.url } }))).toMatchObject({ code: "FORBIDDEN" });
  });
});

describe("bad input", () => {
  it("is a 400 naming the field, a member cannot create, a foreign resource is not found, and nothing is created", async () => {
    const seeded = await visits.seedVisits({ views: 1 });
    const owner = fixtures.trpcAs(fixtures.sessionCaller(seeded.user.id));
    const good = {
      name: "Good",
      export: { kind: "document" as const, documentId: seeded.document.id },
      format: "csv" as const,
      cron: "0 9 * * *",
      timezone: "UTC",
      enabled: true,
      destinations: [{ type: "webhook" as const, url: receiver.url }],
    };
    const create = (schedule: unknown, as = owner) => as.schedules.create({ teamId: seeded.team.id, schedule: schedule as typeof good });
    const cases: [unknown, string][] = [
      [{ ...good, cron: "every day" }, "cron"],
      [{ ...good, cron: "0 0 9 * * *" }, "cron"],
      [{ ...good, timezone: "Mars/Olympus" }, "timezone"],
      [{ ...good, destinations: [{ type: "fax", number: "1" }] }, "destinations.0.type"],
      [{ ...good, destinations: [{ type: "webhook" }] }, "destinations.0.url"],
      [{ ...good, destinations: [{ type: "webhook", url: "ftp://example.com/x" }] }, "destinations.0.url"],
      [{ ...good, destinations: [] }, "destinations"],
      [{ ...good, format: "pdf" }, "format"],
      [{ ...good, retentionDays: 30 }, "retentionDays"],
    ];
    for (const [input, field] of cases) expect(await refusal(create(input)), field).toMatchObject({ code: "BAD_REQUEST", field });

    const stranger = await visits.seedVisits({ views: 1 });
    expect(await refusal(create({ ...good, export: { kind: "document", documentId: stranger.document.id } }))).toMatchObject({ code: "NOT_FOUND" });
    const member = await fixtures.addMember(seeded.team.id, "MEMBER");
    expect(await refusal(create(good, fixtures.trpcAs(fixtures.sessionCaller(member.id))))).toMatchObject({ code: "FORBIDDEN" });
    expect(await refusal(fixtures.trpcAs(fixtures.sessionCaller(stranger.user.id)).schedules.list({ teamId: seeded.team.id }))).toMatchObject({ code: "FORBIDDEN" });
    expect(await db.schedule.count({ where: { teamId: seeded.team.id } })).toBe(0);
  });
});
