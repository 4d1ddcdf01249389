/**
 * Email over SMTP with nodemailer: the one way the app sends mail (an export's outcome now, a
 * scheduled export's file later). EMAIL_SERVER is an SMTP URL (`smtp://user:pass@host:587`,
 * `smtps://…:465`), as next-auth's email sign-in reads it; EMAIL_FROM is the sender.
 *
 * A message is tried once: whoever sends it (an engine step) is the one layer that retries, so
 * a failure comes back as an AppError that says whether trying again may help. A refusal by the
 * server (a 5xx, say an unknown recipient) will not; an unreachable server or a 4xx may.
 */
import type { Readable } from "node:stream";

import nodemailer from "nodemailer";
import type SMTPTransport from "nodemailer/lib/smtp-transport";

import { AppError } from "~/server/errors";

export type EmailAttachment = { filename: string; content: Buffer | string | Readable; contentType?: string };

export type EmailMessage = {
  to: string;
  subject: string;
  text: string;
  html: string;
  attachment?: EmailAttachment;
};

export interface Mailer {
  /** Resolves once the SMTP server accepted the message, with the id it was given. */
  send(message: EmailMessage): Promise<{ messageId: string }>;
}

export type SmtpConfig = { server: string; from: string };

/** How long one try may wait on a server that does not answer; past it the try fails and the sender's retry takes over. */
const TIMEOUT_MS = 15_000;

type SmtpFailure = Error & { code?: string; responseCode?: number; command?: string };

/**
 * What the caller may be told about a failed try: the server's reply code or the connection's
 * error code, never the server URL, which holds the SMTP password.
 */
export function smtpFailure(error: unknown): AppError {
  const failure = error as SmtpFailure;
  const reply = failure.responseCode;
  if (reply !== undefined) {
    const permanent = reply >= 500;
    return new AppError("UPSTREAM_UNAVAILABLE", `The mail server refused the message (${reply}${failure.command ? ` on ${failure.command}` : ""})`, {
      details: { retryable: !permanent },
      cause: error,
    });
  }
  // nodemailer's own code (ESOCKET, ECONNECTION, ETIMEDOUT) is vaguer than the system's in its message.
  const code = /\bE[A-Z_]{3,}\b/.exec(failure.message ?? "")?.[0] ?? failure.code ?? "no answer";
  return new AppError("UPSTREAM_UNAVAILABLE", `The mail server could not be reached (${code})`, { details: { retryable: true }, cause: error });
}

export function createSmtpMailer(config: SmtpConfig): Mailer {
  const options: SMTPTransport.Options = { url: config.server, connectionTimeout: TIMEOUT_MS, greetingTimeout: TIMEOUT_MS, socketTimeout: TIMEOUT_MS };
  const transport = nodemailer.createTransport(options);
  return {
    async send(message) {
      try {
        const info = await transport.sendMail({
          from: config.from,
          to: message.to,
          subject: message.subject,
          text: message.text,
          html: message.html,
          attachments: message.attachment ? [message.attachment] : undefined,
        });
        return { messageId: info.messageId };
      } catch (error) {
        throw smtpFailure(error);
      }
    },
  };
}
