/**
 * A schedule's email and Slack destinations on real services: the local executor runs the
 * schedule, nodemailer speaks SMTP to the project's catcher (dev/smtp-catcher.ts, which refuses
 * the recipients a test names, with the reply code it names), and Slack is a
 * local HTTP fake that checks the incoming-webhook payload's shape: Slack itself cannot run here.
 * The customer's bucket is a second bucket on the harness's s3rver.
 */
import { Readable } from "node:stream";

import { CreateBucketCommand, GetObjectCommand, ListObjectsV2Command } from "@aws-sdk/client-s3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

import { type SmtpCatcher, startSmtpCatcher } from "../dev/smtp-catcher";
import { startFakeSlack } from "./support/fake-slack";
import { type ExportHarness, startExportHarness } from "./support/export-harness";
import { TEST_SOURCE_DATABASE_URL as PG_URL } from "./support/test-env";

const ATTACHMENT_LIMIT = 2_000;
/** Per address, the SMTP codes the catcher refuses its next RCPTs with, in order; then it accepts. */
const refusals = new Map<string, number[]>();

let catcher: SmtpCatcher;
let slack: Awaited<ReturnType<typeof startFakeSlack>>;
let harness: ExportHarness;
let app: typeof import("./support/export-app");
let db: typeof import("~/server/db").db;

beforeAll(async () => {
  catcher = await startSmtpCatcher({ refuseRecipient: (address) => refusals.get(address)?.shift() });
  slack = await startFakeSlack();
  harness = await startExportHarness({
    env: { EMAIL_SERVER: catcher.smtpUrl, EMAIL_FROM: "Export Center <exports@example.test>", SCHEDULE_EMAIL_ATTACHMENT_MAX_BYTES: String(ATTACHMENT_LIMIT), APP_URL: "https://exports.example.test" },
  });
  app = await import("./support/export-app");
  ({ db } = await import("~/server/db"));
}, 120_000);

afterAll(async () => {
  await harness?.close();
  await slack?.close();
  await catcher?.close();
});

type Destinations = Parameters<Awaited<ReturnType<typeof app.teamWithSource>>["trpc"]["schedules"]["create"]>[0]["schedule"]["destinations"];

async function runOnce(sql: string, to: string, destinations: Destinations = [{ type: "email", to: [to] }, { type: "slack", webhookUrl: slack.url }]) {
  const team = await app.teamWithSource("POSTGRES", { url: PG_URL });
  const metric = await team.metric(sql);
  const schedule = await team.trpc.schedules.create({
    teamId: team.id,
    schedule: {
      name: "Daily report",
      export: { kind: "metric", metricId: metric.id },
      format: "csv",
      cron: "0 9 * * *",
      timezone: "UTC",
      enabled: true,
      destinations,
    },
  });
  const { exportId } = await team.trpc.schedules.runNow({ teamId: team.id, scheduleId: schedule.id });
  await app.waitFor(async () => (await db.scheduleDelivery.count({ where: { run: { scheduleId: schedule.id } } })) === destinations.length, 60_000, 200);
  const run = await db.scheduleRun.findFirstOrThrow({ where: { scheduleId: schedule.id }, include: { deliveries: { orderBy: { destinationIndex: "asc" } } } });
  return { team, schedule, exportId, run };
}

describe("a scheduled run delivered by email and to Slack", () => {
  it("attaches a file under the limit, links it, and posts the figures and the link to Slack", async () => {
    const to = `small-${Date.now()}@example.test`;
    const { team, exportId, run } = await runOnce("SELECT n FROM generate_series(1, 20) AS n", to);
    expect(run.deliveries.map((d) => [d.destination, d.status])).toEqual([["email", "DELIVERED"], ["slack", "DELIVERED"]]);
    const link = `https://exports.example.test/api/teams/${team.id}/export-jobs/${exportId}?download=true`;

    const mail = await catcher.waitForMessage((m) => m.to.includes(to), 10_000);
    expect(mail.subject).toContain("is ready");
    expect(mail.links).toContain(link);
    expect(mail.text).toContain("20");
    expect(mail.attachments).toEqual([{ filename: expect.stringMatching(/\.csv$/), contentType: expect.stringContaining("text/csv"), size: Number(run.bytes) }]);

    const posted = slack.received.find((p) => JSON.stringify(p).includes(exportId));
    expect(posted?.text).toContain("20");
    expect(JSON.stringify(posted?.blocks)).toContain(link);
  }, 90_000);

  it("sends only the link when the file is over the attachment limit, and says why", async () => {
    const to = `large-${Date.now()}@example.test`;
    const { run } = await runOnce("SELECT n, repeat('x', 50) AS pad FROM generate_series(1, 200) AS n", to);
    expect(Number(run.bytes)).toBeGreaterThan(ATTACHMENT_LIMIT);
    const mail = await catcher.waitForMessage((m) => m.to.includes(to), 10_000);
    expect(mail.attachments).toEqual([]);
    expect(mail.text).toMatch(/over the .* limit for attachments/);
  }, 90_000);

  it("alerts both with the reason when the run fails", async () => {
    const to = `failed-${Date.now()}@example.test`;
    const { run } = await runOnce("SELECT * FROM no_such_table_for_destinations", to);
    expect(run.status).toBe("FAILED");
    expect(run.deliveries.map((d) => d.status)).toEqual(["DELIVERED", "DELIVERED"]);
    const mail = await catcher.waitForMessage((m) => m.to.includes(to), 10_000);
    expect(mail.subject).toContain("failed");
    expect(mail.text).toContain("no_such_table_for_destinations");
    expect(mail.attachments).toEqual([]);
    expect(slack.received.some((p) => JSON.stringify(p).includes("no_such_table_for_destinations"))).toBe(true);
  }, 90_000);
});

describe("email to several recipients when the mail server refuses one", () => {
  it("retries only the refused one, so each gets the message once, and records who did not get it and why", async () => {
    const [al, bo, cy, dee, ed] = ["al", "bo", "cy", "dee", "ed"].map((name) => `${name}-${Date.now()}@example.test`) as [string, string, string, string, string];
    // Busy twice, then accepted; and a mailbox that does not exist, which no retry can change.
    refusals.set(bo, [450, 450]);
    refusals.set(ed, [550, 550, 550, 550]);
    const { run } = await runOnce("SELECT 1 AS n", al, [{ type: "email", to: [al, bo, cy] }, { type: "email", to: [dee, ed] }]);
    expect(run.deliveries.map((d) => [d.status, d.reason])).toEqual([
      ["DELIVERED", null],
      ["FAILED", `Delivered to 1 of 2 recipients; ${ed}: The mail server refused the message (550 on RCPT TO)`],
    ]);
    expect(run.deliveries.map((d) => d.tries)).toEqual([3, 1]);
    const received = (address: string) => catcher.messages().filter((m) => m.to.includes(address)).length;
    expect([al, bo, cy, dee, ed].map(received)).toEqual([1, 1, 1, 1, 0]);
    expect(refusals.get(ed)).toHaveLength(3);
  }, 90_000);
});

describe("the Slack webhook URL, Slack's credential for the channel", () => {
  it("is stored sealed, shown only as its origin, and still delivers; a row stored plain before it was sealed delivers too", async () => {
    const to = `sealed-${Date.now()}@example.test`;
    const { team, schedule, exportId, run } = await runOnce("SELECT 1 AS n", to, [{ type: "slack", webhookUrl: slack.url }]);
    expect(run.deliveries.map((d) => d.status)).toEqual(["DELIVERED"]);
    expect(slack.received.some((p) => JSON.stringify(p).includes(exportId))).toBe(true);
    const stored = JSON.stringify((await db.schedule.findUniqueOrThrow({ where: { id: schedule.id } })).destinations);
    expect(stored).not.toContain(new URL(slack.url).pathname);
    expect(stored).not.toContain("XXXX");
    const shown = await team.trpc.schedules.get({ teamId: team.id, scheduleId: schedule.id });
    expect(shown.destinations).toEqual([{ type: "slack", webhookUrl: `${new URL(slack.url).origin}/…` }]);

    await db.schedule.update({ where: { id: schedule.id }, data: { destinations: [{ type: "slack", settings: { webhookUrl: slack.url } }] } });
    const again = await team.trpc.schedules.runNow({ teamId: team.id, scheduleId: schedule.id });
    await app.waitFor(async () => (await db.scheduleDelivery.count({ where: { run: { exportId: again.exportId } } })) === 1, 60_000, 200);
    expect(await db.scheduleDelivery.findFirst({ where: { run: { exportId: again.exportId } }, select: { status: true } })).toEqual({ status: "DELIVERED" });
    expect(slack.received.some((p) => JSON.stringify(p).includes(again.exportId))).toBe(true);
  }, 90_000);
});

describe("a scheduled run delivered to the customer's own bucket", () => {
  const customerBucket = `customer-${Date.now()}`;
  let endpoint: string;
  const s3 = () => ({ type: "s3" as const, bucket: customerBucket, prefix: "exports/daily", region: "us-east-1", endpoint, forcePathStyle: true, accessKeyId: "S3RVER", secretAccessKey: "S3RVER" });

  beforeAll(async () => {
    const { getStorage } = await import("~/server/services");
    endpoint = (await import("~/env")).getEnv().S3_ENDPOINT!;
    await getStorage().client.send(new CreateBucketCommand({ Bucket: customerBucket }));
  });

  it("streams the file there byte for byte, and never shows the credentials", async () => {
    const { team, schedule, run } = await runOnce("SELECT n, md5(n::text) AS hash FROM generate_series(1, 5000) AS n", "unused@example.test", [s3()]);
    expect(run.status).toBe("COMPLETED");
    expect(run.deliveries.map((d) => [d.destination, d.status, d.reason])).toEqual([["s3", "DELIVERED", null]]);

    const { getJobStore, getStorage } = await import("~/server/services");
    const job = (await getJobStore().get(run.exportId!))!;
    const ours = await getStorage().openObject(job.file!.key);
    const theirs = await getStorage().client.send(new GetObjectCommand({ Bucket: customerBucket, Key: `exports/daily/${run.exportId}/${job.file!.name}` }));
    const [ourBytes, theirBytes] = [Buffer.concat(await ours.body.toArray()), Buffer.from(await theirs.Body!.transformToByteArray())];
    expect(theirBytes.length).toBe(Number(run.bytes));
    expect(theirBytes.equals(ourBytes)).toBe(true);

    const shown = await team.trpc.schedules.get({ teamId: team.id, scheduleId: schedule.id });
    expect(JSON.stringify(shown)).not.toContain("S3RVER");
    expect(shown.destinations[0]).toMatchObject({ type: "s3", bucket: customerBucket, prefix: "exports/daily" });
  }, 90_000);

  // s3rver cannot list open uploads; its uploads directory on disk (harness.pendingUploads) is
  // what it holds, and a part there is what a customer's store would bill for.
  it("aborts the multipart upload when the file's stream fails after its first part, leaving no part and no object", async () => {
    const { s3Destination } = await import("~/server/schedules/destinations/s3");
    const settings = s3Destination.settings(s3());
    const exportId = `failing-${Date.now()}`;
    const fivePlus = Buffer.alloc(5 * 1024 * 1024 + 1, "a");
    async function* failingAfterFirstPart() {
      yield fivePlus;
      // The first part is on its way: wait until s3rver holds it, then fail as a broken source would.
      await app.waitFor(async () => harness.pendingUploads(customerBucket).length === 1, 10_000, 20);
      throw new Error("the source stream broke");
    }
    const file = { name: "big.csv", size: 2 * fivePlus.length, contentType: "text/csv", open: async () => Readable.from(failingAfterFirstPart()) };
    const report = { exportId, fileName: file.name } as Parameters<typeof s3Destination.deliver>[0]["report"];
    const progress = { done: async () => false, markDone: async () => {} };
    await expect(s3Destination.deliver({ settings, signingSecret: null, report, file, progress, signal: AbortSignal.timeout(30_000) })).rejects.toThrow("the source stream broke");
    expect(harness.pendingUploads(customerBucket)).toEqual([]);
    const { getStorage } = await import("~/server/services");
    const left = await getStorage().client.send(new ListObjectsV2Command({ Bucket: customerBucket, Prefix: `exports/daily/${exportId}/` }));
    expect(left.KeyCount ?? 0).toBe(0);
  }, 60_000);

  // s3rver accepts any credentials, so a wrong secret cannot be tried here; s3.ts scrubs both from every error it records.
  it("Test destination writes and deletes an object, and shows the store's own error", async () => {
    const team = await app.teamWithSource("POSTGRES", { url: PG_URL });
    expect(await team.trpc.schedules.testDestination({ teamId: team.id, destination: s3() })).toEqual({ delivered: true, reason: null });
    const missing = await team.trpc.schedules.testDestination({ teamId: team.id, destination: { ...s3(), bucket: "no-such-customer-bucket" } });
    expect(missing).toMatchObject({ delivered: false, reason: expect.stringContaining("NoSuchBucket") });
    const { getStorage } = await import("~/server/services");
    const left = await getStorage().client.send(new ListObjectsV2Command({ Bucket: customerBucket, Prefix: "exports/daily/export-center-test" }));
    expect(left.KeyCount ?? 0).toBe(0);
  }, 90_000);
});
