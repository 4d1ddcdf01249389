/**
 * Email: the run's outcome sent to a list of addresses over the app's SMTP mailer, with the app
 * link, rows and size, or the reason it failed. The file is attached only under
 * SCHEDULE_EMAIL_ATTACHMENT_MAX_BYTES; a bigger one is a link only, and the message says why.
 * A recipient who got the message is never sent it again by a retry; the reason of a failed
 * delivery names each recipient who did not get it, and why.
 */
import { z } from "zod";

import { getEnv } from "~/env";
import { AppError, type Failure, failureOf } from "~/server/errors";
import { composeMessage, formatSize, type MessageLine } from "~/server/exports/outcome-email/outcome-email-message";
import type { EmailMessage } from "~/server/notifications/smtp-mailer";
import { getMailer } from "~/server/services";

import type { DeliveryContext, ScheduleDestination } from "./schedule-destination";

export const emailInput = z.strictObject({
  type: z.literal("email"),
  to: z.array(z.email({ error: "must be an email address" })).min(1).max(20),
});

const storedSettings = z.object({ to: z.array(z.string()) });

function messageFor({ report, file }: DeliveryContext, to: string, maxBytes: number): EmailMessage {
  const name = report.fileName ?? report.format;
  if (report.status === "FAILED") {
    const lines: MessageLine[] = [{ label: "Reason", value: report.error ?? "No reason was recorded" }];
    if (report.schedulePaused) lines.push({ label: "Schedule", value: report.pauseReason ?? "Paused" });
    const subject = report.schedulePaused ? "A scheduled export failed and its schedule is paused" : "A scheduled export failed";
    return composeMessage(to, subject, "A scheduled export failed; no file was made.", lines);
  }
  const attached = file !== null && file.size < maxBytes;
  const lines: MessageLine[] = [
    { label: "File", value: name },
    { label: "Rows", value: `${report.rowCount ?? 0}${report.truncated ? " (truncated at the row limit)" : ""}` },
    { label: "Size", value: formatSize(report.fileSize ?? 0) },
  ];
  if (file && !attached) lines.push({ label: "Attachment", value: `None: the file is over the ${formatSize(maxBytes)} limit for attachments; use the link` });
  const link = report.downloadUrl ? { text: "Download the file", url: report.downloadUrl } : undefined;
  return composeMessage(to, `Your scheduled export "${name}" is ready`, "A scheduled export has finished.", lines, link);
}

export const emailDestination: ScheduleDestination<z.infer<typeof emailInput>> = {
  type: "email",
  input: emailInput,
  signed: false,
  settings: (input) => ({ to: input.to }),
  view: (settings) => ({ to: storedSettings.parse(settings).to }),
  async deliver(context) {
    const mailer = getMailer();
    if (!mailer) throw new AppError("UNPROCESSABLE", "Email is not set up on this server (EMAIL_SERVER and EMAIL_FROM)");
    const maxBytes = getEnv().SCHEDULE_EMAIL_ATTACHMENT_MAX_BYTES;
    const { to } = storedSettings.parse(context.settings);
    const { file, progress } = context;
    const refused: { recipient: string; failure: Failure }[] = [];
    // One message per recipient, each sent once across retries: a retry after one recipient's
    // server refused goes to that recipient only.
    for (const recipient of to) {
      if (await progress.done(recipient)) continue;
      const message = messageFor(context, recipient, maxBytes);
      try {
        // Opened per recipient: a stream is read once.
        if (file && file.size < maxBytes) message.attachment = { filename: file.name, contentType: file.contentType, content: await file.open(context.signal) };
        await mailer.send(message);
      } catch (error) {
        refused.push({ recipient, failure: failureOf(error) });
        continue;
      }
      await progress.markDone(recipient);
    }
    if (refused.length === 0) return;
    const reason = `Delivered to ${to.length - refused.length} of ${to.length} recipients; ${refused.map((r) => `${r.recipient}: ${r.failure.message}`).join("; ")}`;
    // Retried while any refusal may pass (a busy mailbox, a server out of reach); not when all are final (no such mailbox).
    throw new AppError("UPSTREAM_UNAVAILABLE", reason, { details: { retryable: refused.some((r) => r.failure.retry) } });
  },
};
