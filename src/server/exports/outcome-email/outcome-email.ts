/**
 * "Email me when it is ready": a team member asks, while an export runs, for an email about
 * how it ends (Papermark's send-email). The request is written on the job atomically with a
 * check that the job has not ended (job-store.ts), and an engine run is queued that waits for
 * the end and sends the message (src/server/jobs/functions/email-export-outcome.ts).
 *
 * The email carries the job's download link, `<app>/api/teams/:teamId/export-jobs/:id?download=true`,
 * not a presigned URL: opening it signed in mints a fresh 60-second link at that moment.
 *
 * A kind whose file lives less than an hour (a metric export's lives 60 seconds) is refused
 * (kinds' emailRefusal): its file would be gone before most people read their mail.
 */
import { getEnv } from "~/env";
import { db } from "~/server/db";
import { AppError, failureOf } from "~/server/errors";
import type { ExportQueue } from "~/server/exports/export-queue";
import { type ExportJob, isTerminal } from "~/server/exports/job/export-job";
import { emailRefusal, type ExportKindDefinition, kindDefinition } from "~/server/exports/kinds";
import { getExport } from "~/server/exports/manage-export";
import type { BeforeRun } from "~/server/exports/start-export";
import { log } from "~/server/log";
import { getJobStore, getMailer } from "~/server/services";
import type { TeamMember } from "~/server/teams/permissions";

import { outcomeEmailMessage } from "./outcome-email-message";

/**
 * The address links in emails start with: AUTH_URL when it is set, else the origin the caller
 * used, which the app accepts only where sign-in trusts the Host header too (outside
 * production, or with AUTH_TRUST_HOST: src/env.ts refuses production without either).
 */
function appUrlFor(requestOrigin: string | undefined): string {
  const url = getEnv().AUTH_URL ?? requestOrigin;
  if (!url) throw new AppError("UNPROCESSABLE", "The app's address is unknown: set AUTH_URL, from which emailed links are built");
  return url.replace(/\/+$/, "");
}

function downloadLinkFor(appUrl: string, job: Pick<ExportJob, "id" | "teamId">): string {
  return `${appUrl}/api/teams/${encodeURIComponent(job.teamId)}/export-jobs/${encodeURIComponent(job.id)}?download=true`;
}

type Member = Pick<TeamMember, "userId" | "teamId">;

/**
 * Whom the outcome email of an export of `kind` goes to (the member's own address), and the
 * app's address for its link; refused when it cannot be sent: a kind whose file is too
 * short-lived, a server without email, a user without an address.
 */
async function recipientOf(member: Member, kind: ExportKindDefinition, requestOrigin: string | undefined) {
  const refusal = emailRefusal(kind);
  if (refusal) throw new AppError("UNPROCESSABLE", refusal);
  if (!getMailer()) throw new AppError("UNPROCESSABLE", "Email is not set up on this server (EMAIL_SERVER and EMAIL_FROM)");
  const user = await db.user.findUnique({ where: { id: member.userId }, select: { email: true } });
  if (!user?.email) throw new AppError("UNPROCESSABLE", "Your account has no email address to send to");
  return { to: user.email, appUrl: appUrlFor(requestOrigin) };
}

/**
 * Queues the email run, then writes the request on the job, which refuses it once the job has
 * ended (CONFLICT). Queued first: when the engine cannot be reached, nothing has been written;
 * a run queued for a request refused after it finds no email to send and ends.
 */
async function askFor(queue: ExportQueue, job: ExportJob, recipient: { to: string; appUrl: string }): Promise<void> {
  try {
    await queue.emailOutcome(job.id);
  } catch (error) {
    throw new AppError("UPSTREAM_UNAVAILABLE", "The email could not be queued; please try again", { cause: error });
  }
  await getJobStore().requestOutcomeEmail(job.id, recipient.to, downloadLinkFor(recipient.appUrl, job));
  log("info", "export.email_requested", { exportId: job.id, teamId: job.teamId });
}

/**
 * Registers the member's own email address on a running export. Refused, with nothing
 * written: another team's or an unknown export (NOT_FOUND), one that has ended (CONFLICT), or
 * one that cannot be emailed (recipientOf).
 */
export async function requestOutcomeEmail(queue: ExportQueue, member: Member, exportId: string, requestOrigin: string | undefined): Promise<ExportJob> {
  const job = await getExport(member.teamId, exportId);
  if (isTerminal(job.status)) {
    throw new AppError("CONFLICT", `The export is already ${job.status.toLowerCase()}: an email can only be asked for while it runs`, {
      details: { status: job.status },
    });
  }
  await askFor(queue, job, await recipientOf(member, kindDefinition(job.type), requestOrigin));
  return getExport(member.teamId, exportId);
}

/**
 * "Email me" as an export starts: checked before the job is made, so that a refusal starts
 * nothing, and asked for before its run is queued (start-export.ts), so that even an export
 * done in a moment has its email.
 */
export async function outcomeEmailAtStart(queue: ExportQueue, member: Member, kind: ExportKindDefinition, requestOrigin: string | undefined): Promise<BeforeRun> {
  const recipient = await recipientOf(member, kind, requestOrigin);
  return (job) => askFor(queue, job, recipient);
}

/** Where an outcome email stands for the engine: its export still runs, it is due, or there is none to send. */
export type OutcomeEmailState = "waiting" | "due" | "none";

/**
 * Read through the job store, which fails a job past its deadline on the read: so a job that
 * nobody drives any more still ends here, and a run that waits on it always finishes.
 */
export async function outcomeEmailState(exportId: string): Promise<OutcomeEmailState> {
  const job = await getJobStore().get(exportId);
  if (!job) return "none";
  if (!isTerminal(job.status)) return "waiting";
  return job.email?.status === "PENDING" ? "due" : "none";
}

/**
 * Sends the due email once, and records how it went. A failed try throws for the engine to
 * try again; the job says why meanwhile, and FAILED with the reason once no try is left
 * (`last`) or trying again cannot help.
 */
export async function sendOutcomeEmail(exportId: string, attempt: { last: boolean }): Promise<{ sent: boolean }> {
  const store = getJobStore();
  const job = await store.get(exportId);
  const email = job?.email;
  if (!job || !isTerminal(job.status) || email?.status !== "PENDING") return { sent: false };
  try {
    const mailer = getMailer();
    if (!mailer) throw new AppError("UNPROCESSABLE", "Email is no longer set up on this server (EMAIL_SERVER and EMAIL_FROM)");
    const link = (await store.outcomeEmailLink(exportId)) ?? "";
    await mailer.send(outcomeEmailMessage(job, email.to, link));
  } catch (error) {
    const failure = failureOf(error);
    const final = attempt.last || !failure.retry;
    await store.recordOutcomeEmail(exportId, { to: email.to, status: final ? "FAILED" : "PENDING", error: final ? failure.message : `${failure.message}; trying again` });
    log(final ? "error" : "warn", "export.email_failed", { exportId, final, code: failure.code, error: failure.message });
    throw error;
  }
  await store.recordOutcomeEmail(exportId, { to: email.to, status: "SENT", sentAt: new Date().toISOString() });
  log("info", "export.email_sent", { exportId });
  return { sent: true };
}

/** The engine's last word on an email run that failed outside its send: a PENDING email becomes FAILED. */
export async function failOutcomeEmail(exportId: string, reason: string): Promise<void> {
  const job = await getJobStore().get(exportId);
  if (job?.email?.status !== "PENDING") return;
  await getJobStore().recordOutcomeEmail(exportId, { to: job.email.to, status: "FAILED", error: reason });
}
