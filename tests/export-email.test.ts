/**
 * "Email me when it is ready", end to end on real services: the REST and tRPC send-email, the
 * `email-export-outcome` run on the local executor, nodemailer speaking SMTP to the project's
 * catcher (dev/smtp-catcher.ts, smtp-server + mailparser), and the emailed link opened as the
 * signed-in user (Bearer token) to get the file from s3rver.
 *
 * A visit export of ten views runs for a few seconds (support/email-harness.ts), so that the
 * email can be asked for while it runs.
 */
import { parse } from "csv-parse/sync";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

import { EMAIL_FROM, startEmailHarness } from "./support/email-harness";
import { restError } from "./support/rest-error";
import { TEST_SOURCE_DATABASE_URL as PG_URL } from "./support/test-env";

let email: Awaited<ReturnType<typeof startEmailHarness>>;
let app: typeof import("./support/export-app");
let fixtures: typeof import("./support/fixtures");
let visits: typeof import("./support/visit-fixtures");
let store: ReturnType<typeof import("~/server/services").getJobStore>;
/** A tRPC caller for the user, whose requests came to ORIGIN, as the route handler gives it. */
let trpcAt: (userId: string) => ReturnType<typeof import("~/server/api/root").createCaller>;
let routes: {
  document: typeof import("~/app/api/teams/[teamId]/documents/[id]/export-visits/route");
  job: typeof import("~/app/api/teams/[teamId]/export-jobs/[exportId]/route");
  sendEmail: typeof import("~/app/api/teams/[teamId]/export-jobs/[exportId]/send-email/route");
};

const ORIGIN = "http://exports.test";

beforeAll(async () => {
  email = await startEmailHarness();
  app = await import("./support/export-app");
  fixtures = await import("./support/fixtures");
  visits = await import("./support/visit-fixtures");
  store = (await import("~/server/services")).getJobStore();
  const { createCaller } = await import("~/server/api/root");
  const { createContextInner } = await import("~/server/api/trpc");
  trpcAt = (userId) => createCaller(createContextInner({ caller: fixtures.sessionCaller(userId), origin: ORIGIN }));
  routes = {
    document: await import("~/app/api/teams/[teamId]/documents/[id]/export-visits/route"),
    job: await import("~/app/api/teams/[teamId]/export-jobs/[exportId]/route"),
    sendEmail: await import("~/app/api/teams/[teamId]/export-jobs/[exportId]/send-email/route"),
  };
}, 120_000);

afterAll(async () => {
  await email?.close();
});

type Handler<P> = (req: Request, ctx: { params: Promise<P> }) => Promise<Response>;
const call = <P>(handler: Handler<P>, url: string, params: P, init: RequestInit = {}) => handler(new Request(url, init), { params: Promise.resolve(params) });
const bearer = (token: string, method = "GET"): RequestInit => ({ method, headers: { authorization: `Bearer ${token}` } });

/** A document export of `views` views, started over REST, running for a few seconds. */
async function startSlowExport(views = 10) {
  const seeded = await visits.seedVisits({ views });
  email.tinybird.setDurations(visits.durationsOf(seeded.views));
  const token = await fixtures.tokenFor(seeded.user.id, seeded.team.id);
  const teamId = seeded.team.id;
  const started = await call(routes.document.POST, `${ORIGIN}/api/teams/${teamId}/documents/${seeded.document.id}/export-visits`, { teamId, id: seeded.document.id }, bearer(token, "POST"));
  expect(started.status).toBe(202);
  const { exportId } = (await started.json()) as { exportId: string };
  return { seeded, token, teamId, exportId };
}

const sendEmail = (teamId: string, exportId: string, init: RequestInit) =>
  call(routes.sendEmail.POST, `${ORIGIN}/api/teams/${teamId}/export-jobs/${exportId}/send-email`, { teamId, exportId }, init);

async function waitForEmailState(exportId: string, status: "SENT" | "FAILED") {
  await app.waitFor(async () => (await store.get(exportId))?.email?.status === status, 60_000);
  return (await store.get(exportId))!;
}


describe("send-email on a running visit export", () => {
  it("emails the caller the link when it completes; the link, opened with the caller's token, gives the file", async () => {
    const { seeded, token, teamId, exportId } = await startSlowExport(10);
    const asked = await sendEmail(teamId, exportId, bearer(token, "POST"));
    expect(asked.status).toBe(202);
    expect(await asked.json()).toMatchObject({ exportId, email: { to: seeded.user.email, status: "PENDING" } });
    expect((await store.get(exportId))!.status).not.toBe("COMPLETED");

    const mail = await email.catcher.waitForMessage((m) => m.to.includes(seeded.user.email) && m.subject.includes("is ready"), 60_000);
    const link = `${ORIGIN}/api/teams/${teamId}/export-jobs/${exportId}?download=true`;
    expect(mail.from).toContain(EMAIL_FROM.match(/<(.+)>/)![1]);
    expect(mail.links).toContain(link);
    expect(mail.html).toContain(`href="${link.replace(/&/g, "&amp;")}"`);
    expect(mail.text).toMatch(/Rows: 10\b/);
    expect(mail.text).toContain(seeded.document.name);
    const job = await waitForEmailState(exportId, "SENT");
    expect(job).toMatchObject({ status: "COMPLETED", email: { to: seeded.user.email, status: "SENT", sentAt: expect.any(String) } });
    expect(mail.text).toContain(`Size: `);

    // The emailed link is the job's own route, not a presigned URL: opened later, it mints one.
    const opened = await call(routes.job.GET, link, { teamId, exportId }, bearer(token));
    expect(opened.status).toBe(302);
    const presigned = new URL(opened.headers.get("location")!);
    expect(presigned.searchParams.get("X-Amz-Expires")).toBe("60");
    const file = await fetch(presigned);
    expect(file.status).toBe(200);
    const rows = parse(await file.text(), { columns: true, bom: true }) as Record<string, string>[];
    expect(rows).toHaveLength(10);
    expect(rows.map((r) => Object.values(r).find((v) => v.startsWith("viewer")))).toEqual(expect.arrayContaining(seeded.views.map((v) => v.email)));
  });

  it("emails the reason when the export fails", async () => {
    const seeded = await visits.seedVisits({ views: 10 });
    email.tinybird.setDurations(visits.durationsOf(seeded.views));
    // The last view's call, about 2 s in, is refused for good (a Tinybird 4xx is final).
    email.tinybird.injectFault({ viewIds: [seeded.views.at(-1)!.id], status: 400, times: 1_000 });
    const teamId = seeded.team.id;
    const trpc = trpcAt(seeded.user.id);
    const { exportId } = await trpc.visits.exportDocument({ teamId, documentId: seeded.document.id });
    const asked = await trpc.exports.sendEmail({ teamId, exportId });
    expect(asked.email).toMatchObject({ to: seeded.user.email, status: "PENDING" });

    const mail = await email.catcher.waitForMessage((m) => m.to.includes(seeded.user.email) && m.subject.includes("failed"), 60_000);
    const job = await waitForEmailState(exportId, "SENT");
    expect(job.status).toBe("FAILED");
    expect(mail.text).toContain(`Reason: ${job.error}`);
    expect(job.error).toMatch(/Tinybird/);
    expect(mail.links).toEqual([]);
  });
});

describe("Email me as an export starts (tRPC exports.start with emailMe)", () => {
  it("asks before the run is queued, so even an export done in a moment sends its email", async () => {
    const seeded = await visits.seedVisits({ views: 1 });
    email.tinybird.setDurations(visits.durationsOf(seeded.views));
    const teamId = seeded.team.id;
    const { exportId } = await trpcAt(seeded.user.id).exports.start({ teamId, target: { kind: "document", documentId: seeded.document.id }, emailMe: true });
    const mail = await email.catcher.waitForMessage((m) => m.to.includes(seeded.user.email) && m.subject.includes("is ready"), 60_000);
    expect(mail.links).toEqual([`${ORIGIN}/api/teams/${teamId}/export-jobs/${exportId}?download=true`]);
    expect((await waitForEmailState(exportId, "SENT")).status).toBe("COMPLETED");
  });

  it("refuses a metric export before anything starts: no job, no run", async () => {
    const team = await app.teamWithSource("POSTGRES", { url: PG_URL });
    const metric = await team.metric("SELECT 1 AS one");
    const refused = await trpcAt(team.user.id)
      .exports.start({ teamId: team.id, target: { kind: "metric", metricId: metric.id }, emailMe: true })
      .catch((error: unknown) => error as { code: string; message: string });
    expect(refused).toMatchObject({ code: "UNPROCESSABLE_CONTENT", message: expect.stringMatching(/too short for a link sent by email/) });
    expect((await trpcAt(team.user.id).exports.list({ teamId: team.id })).total).toBe(0);
  });
});

describe("send-email refused", () => {
  it("409 on a finished export, 404 on an unknown or another team's one, 403 for a stranger, 401 without a caller, 400 with a body: nothing is written", async () => {
    const { seeded, token, teamId, exportId } = await startSlowExport(1);
    await app.waitFor(async () => (await store.get(exportId))?.status === "COMPLETED", 60_000);

    const finished = await sendEmail(teamId, exportId, bearer(token, "POST"));
    expect(finished.status).toBe(409);
    expect(restError(await finished.json())).toEqual({ code: "conflict", message: expect.stringMatching(/already completed/) });

    const unknown = await sendEmail(teamId, "no-such-export", bearer(token, "POST"));
    expect(unknown.status).toBe(404);
    expect(restError(await unknown.json()).message).toBe("No such export");

    const other = await fixtures.createTeamWithUser("OWNER");
    const otherToken = await fixtures.tokenFor(other.user.id, other.team.id);
    const foreign = await sendEmail(other.team.id, exportId, bearer(otherToken, "POST"));
    expect(foreign.status).toBe(404);
    expect((await sendEmail(teamId, exportId, bearer(otherToken, "POST"))).status).toBe(403);
    expect((await sendEmail(teamId, exportId, { method: "POST" })).status).toBe(401);
    const withBody = await sendEmail(teamId, exportId, { ...bearer(token, "POST"), body: JSON.stringify({ email: "someone@else.test" }) });
    expect(withBody.status).toBe(400);
    expect(restError(await withBody.json()).message).toMatch(/email: Unknown field/);

    expect((await store.get(exportId))!.email).toBeUndefined();
    expect(email.emailRun(exportId)).toBeUndefined();
    expect(email.catcher.messages().filter((m) => m.to.includes(seeded.user.email))).toEqual([]);
  });

  it("422 on a running metric export, whose file lives 60 seconds, saying so; nothing is written", async () => {
    const team = await app.teamWithSource("POSTGRES", { url: PG_URL });
    const metric = await team.metric("SELECT g FROM generate_series(1, 3) g, (SELECT pg_sleep(3)) AS pause");
    const { exportId } = await team.trpc.metrics.export({ teamId: team.id, metricId: metric.id });
    const token = await fixtures.tokenFor(team.user.id, team.id);
    const refused = await sendEmail(team.id, exportId, bearer(token, "POST"));
    expect(refused.status).toBe(422);
    expect(restError(await refused.json()).message).toMatch(/kept for only 60 seconds, too short for a link sent by email/);
    const job = await store.get(exportId);
    expect(job!.status).not.toMatch(/COMPLETED|FAILED|CANCELLED/);
    expect(job!.email).toBeUndefined();
    expect(email.emailRun(exportId)).toBeUndefined();
  });
});

describe("send-email while SMTP is down", () => {
  it("retries the send, the export still completes, and the job shows the email failed with the reason", async () => {
    const { token, teamId, exportId } = await startSlowExport(10);
    expect((await sendEmail(teamId, exportId, bearer(token, "POST"))).status).toBe(202);
    await email.stopMail();
    try {
      const job = await waitForEmailState(exportId, "FAILED");
      expect(job.status).toBe("COMPLETED");
      expect(job.file).toMatchObject({ rowCount: 10 });
      expect(job.email).toMatchObject({ status: "FAILED", error: "The mail server could not be reached (ECONNREFUSED)" });
      await app.waitFor(async () => email.emailRun(exportId)?.status === "Failed", 10_000);
      // One try and the function's 5 retries, by the engine alone.
      const sends = email.emailRun(exportId)!.history.filter((h) => h.name === "send email").map((h) => h.status);
      expect(sends).toEqual(["retry", "retry", "retry", "retry", "retry", "failed"]);
      // The file is still there for the user to download from the export center.
      expect((await call(routes.job.GET, `${ORIGIN}/api/teams/${teamId}/export-jobs/${exportId}?download=true`, { teamId, exportId }, bearer(token))).status).toBe(302);
    } finally {
      await email.startMail();
    }
  });
});
