/**
 * Papermark's export modal, its "Email to …" step (issue 12, step 7), replayed as the modal
 * makes its calls (`components/documents/export-visits-modal.tsx` and the dataroom one in
 * mfts/papermark): start with a bodiless POST, poll the job, then POST send-email
 * with no body and no header but the credentials, need `response.ok`, close and stop polling.
 * The email must then arrive on its own, over real SMTP (the project's catcher), with the link
 * `…/export-jobs/:exportId?download=true`, which the signed-in user (here a Bearer token, which
 * must work as the session cookie does) opens later to get the file.
 */
import { parse } from "csv-parse/sync";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

import { startEmailHarness } from "./support/email-harness";
import { restError } from "./support/rest-error";

const APP = "http://papermark-backend.test";

let email: Awaited<ReturnType<typeof startEmailHarness>>;
let fixtures: typeof import("./support/fixtures");
let visits: typeof import("./support/visit-fixtures");
type Handler = (req: Request, ctx: { params: Promise<Record<string, string>> }) => Promise<Response>;
let routes: { dataroom: Handler; group: Handler; job: Handler; sendEmail: Handler };

beforeAll(async () => {
  email = await startEmailHarness();
  fixtures = await import("./support/fixtures");
  visits = await import("./support/visit-fixtures");
  routes = {
    dataroom: (await import("~/app/api/teams/[teamId]/datarooms/[id]/export-visits/route")).POST as Handler,
    group: (await import("~/app/api/teams/[teamId]/datarooms/[id]/groups/[groupId]/export-visits/route")).POST as Handler,
    job: (await import("~/app/api/teams/[teamId]/export-jobs/[exportId]/route")).GET as Handler,
    sendEmail: (await import("~/app/api/teams/[teamId]/export-jobs/[exportId]/send-email/route")).POST as Handler,
  };
}, 120_000);

afterAll(async () => {
  await email?.close();
});

/** A fetch of the modal's, routed to the route handler as Next would: only the credentials as headers, never a body. */
function modalFetch(token: string) {
  return (handler: Handler, path: string, params: Record<string, string>, method = "GET") =>
    handler(new Request(`${APP}${path}`, { method, headers: { authorization: `Bearer ${token}` } }), { params: Promise.resolve(params) });
}

/** Start, one poll, "Email to …", stop: what the modal does, with the fields it reads. */
async function emailStep(start: { handler: Handler; path: string; params: Record<string, string> }, token: string, teamId: string) {
  const fetchAs = modalFetch(token);
  const started = await fetchAs(start.handler, start.path, start.params, "POST");
  expect(started.ok).toBe(true);
  const { exportId } = (await started.json()) as { exportId: string };
  expect(typeof exportId).toBe("string");

  const jobPath = `/api/teams/${teamId}/export-jobs/${exportId}`;
  const polled = await fetchAs(routes.job, jobPath, { teamId, exportId });
  expect(polled.ok).toBe(true);
  expect((await polled.json()) as { status: string }).toMatchObject({ status: expect.stringMatching(/PENDING|PROCESSING/) });

  const asked = await fetchAs(routes.sendEmail, `${jobPath}/send-email`, { teamId, exportId }, "POST");
  expect(asked.ok).toBe(true);
  return { exportId, fetchAs };
}

/** The caught email for `to` about this export, its link, and the file the link gives. */
async function emailedFile(to: string, exportId: string, teamId: string, fetchAs: ReturnType<typeof modalFetch>) {
  const mail = await email.catcher.waitForMessage((m) => m.to.includes(to) && m.subject.includes("is ready"), 60_000);
  const link = mail.links.find((l) => l.includes(`/export-jobs/${exportId}?download=true`));
  expect(link).toBe(`${APP}/api/teams/${teamId}/export-jobs/${exportId}?download=true`);
  const url = new URL(link!);
  const opened = await fetchAs(routes.job, `${url.pathname}${url.search}`, { teamId, exportId });
  expect(opened.status).toBe(302);
  const file = await fetch(opened.headers.get("location")!);
  expect(file.status).toBe(200);
  return parse(await file.text(), { columns: true, bom: true }) as Record<string, string>[];
}

describe("Papermark's modal: Email to …", () => {
  it("dataroom: POST send-email after the start, then no more polling; the email arrives with a link that gives the file", async () => {
    const seeded = await visits.seedVisits({ views: 10 });
    email.tinybird.setDurations(visits.durationsOf(seeded.views));
    const teamId = seeded.team.id;
    const token = await fixtures.tokenFor(seeded.user.id, teamId);
    const { exportId, fetchAs } = await emailStep(
      { handler: routes.dataroom, path: `/api/teams/${teamId}/datarooms/${seeded.dataroom.id}/export-visits`, params: { teamId, id: seeded.dataroom.id } },
      token,
      teamId,
    );
    // The modal has closed and polls no more: the email comes without anyone asking.
    const rows = await emailedFile(seeded.user.email, exportId, teamId, fetchAs);
    expect(rows.length).toBeGreaterThanOrEqual(10);
  });

  it("dataroom group: the same, for the group's views only", async () => {
    const seeded = await visits.seedVisits({ views: 10, groupEvery: 2 });
    email.tinybird.setDurations(visits.durationsOf(seeded.views));
    const teamId = seeded.team.id;
    const token = await fixtures.tokenFor(seeded.user.id, teamId);
    const path = `/api/teams/${teamId}/datarooms/${seeded.dataroom.id}/groups/${seeded.investors.id}/export-visits`;
    const { exportId, fetchAs } = await emailStep({ handler: routes.group, path, params: { teamId, id: seeded.dataroom.id, groupId: seeded.investors.id } }, token, teamId);
    const rows = await emailedFile(seeded.user.email, exportId, teamId, fetchAs);
    expect(rows.length).toBeGreaterThanOrEqual(seeded.views.filter((v) => v.groupId === seeded.investors.id).length);
  });

  it("on a finished export the modal's send-email is refused with a readable reason (409)", async () => {
    const seeded = await visits.seedVisits({ views: 1 });
    email.tinybird.setDurations(visits.durationsOf(seeded.views));
    const teamId = seeded.team.id;
    const fetchAs = modalFetch(await fixtures.tokenFor(seeded.user.id, teamId));
    const started = await fetchAs(routes.dataroom, `/api/teams/${teamId}/datarooms/${seeded.dataroom.id}/export-visits`, { teamId, id: seeded.dataroom.id }, "POST");
    const { exportId } = (await started.json()) as { exportId: string };
    const jobPath = `/api/teams/${teamId}/export-jobs/${exportId}`;
    for (let i = 0; i < 120; i++) {
      const job = (await (await fetchAs(routes.job, jobPath, { teamId, exportId })).json()) as { status: string };
      if (job.status === "COMPLETED") break;
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
    const refused = await fetchAs(routes.sendEmail, `${jobPath}/send-email`, { teamId, exportId }, "POST");
    expect(refused.ok).toBe(false);
    expect(refused.status).toBe(409);
    expect(restError(await refused.json()).message).toMatch(/already completed/);
  });
});
