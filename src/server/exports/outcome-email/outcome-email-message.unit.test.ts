import { describe, expect, it } from "vitest";

import type { ExportJob } from "~/server/exports/job/export-job";
import { smtpFailure } from "~/server/notifications/smtp-mailer";
import { failureOf } from "~/server/errors";

import { formatSize, outcomeEmailMessage } from "./outcome-email-message";

const LINK = "https://exports.example.com/api/teams/t1/export-jobs/e1?download=true";

const job = (overrides: Partial<ExportJob>): ExportJob => ({
  id: "e1",
  type: "dataroom",
  format: "csv",
  status: "COMPLETED",
  resourceId: "r1",
  resourceName: `Deck <b>"Q3"</b> & more`,
  userId: "u1",
  teamId: "t1",
  createdAt: "2026-12-02T06:00:00.000Z",
  updatedAt: "2026-12-02T06:00:05.000Z",
  ...overrides,
});

describe("the outcome email", () => {
  it("for a completed export: resource, rows, size and the link, the name escaped in the HTML part", () => {
    const file = { key: "k", name: "visits.csv", size: 1_234_567, rowCount: 1_000_000, truncated: true, expiresAt: "2026-12-09T06:00:05.000Z" };
    const message = outcomeEmailMessage(job({ file }), "ana@example.test", LINK);
    expect(message).toMatchObject({ to: "ana@example.test", subject: `Your export of "Deck <b>"Q3"</b> & more" is ready` });
    expect(message.text).toContain("Rows: 1000000 (truncated at the row limit)");
    expect(message.text).toContain("Size: 1.2 MB");
    expect(message.text).toContain(`Download the file: ${LINK}`);
    expect(message.html).toContain("Deck &lt;b&gt;&quot;Q3&quot;&lt;/b&gt; &amp; more");
    expect(message.html).not.toContain("<b>");
    expect(message.html).toContain(`<a href="${LINK}">`);
  });

  it("for a failed export: the reason and no link", () => {
    const message = outcomeEmailMessage(job({ status: "FAILED", error: "Tinybird is unavailable (503)" }), "ana@example.test", LINK);
    expect(message.subject).toMatch(/ failed$/);
    expect(message.text).toContain("Reason: Tinybird is unavailable (503)");
    expect(message.text).not.toContain(LINK);
  });

  it("for a cancelled export: says so, with no link", () => {
    const message = outcomeEmailMessage(job({ status: "CANCELLED" }), "ana@example.test", LINK);
    expect(message.subject).toMatch(/ was cancelled$/);
    expect(message.text).not.toContain(LINK);
  });

  it("sizes in decimal units", () => {
    expect([formatSize(999), formatSize(1000), formatSize(5_500_000_000)]).toEqual(["999 bytes", "1.0 KB", "5.5 GB"]);
  });
});

describe("an SMTP failure", () => {
  it("a refusal (5xx) is final, a 4xx and an unreachable server are tried again; none carries the server URL", () => {
    const refused = smtpFailure(Object.assign(new Error("Can't send mail"), { responseCode: 550, command: "RCPT TO" }));
    const busy = smtpFailure(Object.assign(new Error("Try later"), { responseCode: 421 }));
    const down = smtpFailure(Object.assign(new Error("connect ECONNREFUSED 10.0.0.5:587"), { code: "ESOCKET" }));
    expect(refused.message).toBe("The mail server refused the message (550 on RCPT TO)");
    expect(failureOf(refused).retry).toBe(false);
    expect(failureOf(busy).retry).toBe(true);
    expect(down.message).toBe("The mail server could not be reached (ECONNREFUSED)");
    expect(failureOf(down).retry).toBe(true);
    const login = smtpFailure(Object.assign(new Error("Invalid login to smtp://ana:s3cret@mail.example.test"), { responseCode: 535, command: "AUTH PLAIN" }));
    expect(login.message).toBe("The mail server refused the message (535 on AUTH PLAIN)");
    expect(login.message).not.toContain("s3cret");
  });
});
