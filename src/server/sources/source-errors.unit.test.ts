import { describe, expect, it, vi } from "vitest";

import { AppError } from "~/server/errors";

import { CONNECTION_FAILED_MESSAGE, connectionFailed, queryFailed, queryTimedOut, SecretRedactor, urlSecrets } from "./source-errors";

const PASSWORD = "S3cr3t-Planted-Pw!";

describe("SecretRedactor", () => {
  it("removes the credentials it knows, as written and URL-encoded", () => {
    const url = `postgresql://reader:${encodeURIComponent(PASSWORD)}@db.internal:5432/app`;
    const redactor = new SecretRedactor([...urlSecrets(url)]);
    const text = redactor.redact(`failed: ${url} / ${PASSWORD} / ${encodeURIComponent(PASSWORD)}`);
    expect(text).not.toContain(PASSWORD);
    expect(text).not.toContain(encodeURIComponent(PASSWORD));
    expect(text).not.toContain("db.internal");
  });

  it("removes anything shaped like a credential, known or not", () => {
    const redactor = new SecretRedactor([]);
    const text = redactor.redact(
      [
        "mysql://root:hunter22@10.0.0.1/db",
        "host=x password=hunter22 user=y",
        '{"password":"hunter22","private_key":"-----BEGIN PRIVATE KEY-----\\nMIIE\\n-----END PRIVATE KEY-----"}',
        "Authorization: Bearer ya29.hunter22",
        "-----BEGIN RSA PRIVATE KEY-----\nMIIEhunter22\n-----END RSA PRIVATE KEY-----",
        "pwd: 'hunter22'",
      ].join("\n"),
    );
    expect(text).not.toContain("hunter22");
    expect(text).toContain("mysql://root:[redacted]@10.0.0.1/db");
    expect(text).toContain("password=[redacted] user=y");
  });

  it("keeps the database's own words", () => {
    const redactor = new SecretRedactor([PASSWORD]);
    expect(redactor.redact('relation "nope" does not exist')).toBe('relation "nope" does not exist');
    expect(redactor.redact("Access denied for user 'root'@'localhost' (using password: YES)")).toBe(
      "Access denied for user 'root'@'localhost' (using password: YES)",
    );
  });

  it("ignores secrets too short to replace safely", () => {
    expect(new SecretRedactor(["a", ""]).redact("a table")).toBe("a table");
  });

  it("removes a private key line by line", () => {
    const key = "-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASC\nBKcwggSjAgEAAoIBAQC7\n-----END PRIVATE KEY-----\n";
    const text = new SecretRedactor([key]).redact("bad key near MIIEvQIBADANBgkqhkiG9w0BAQEFAASC");
    expect(text).not.toContain("MIIEvQIBADANBgkqhkiG9w0BAQEFAASC");
  });
});

describe("error mapping", () => {
  const redactor = new SecretRedactor([PASSWORD]);

  it("maps every connection failure to one UPSTREAM_UNAVAILABLE message, and logs the reason without secrets", () => {
    const logged = vi.spyOn(console, "log").mockImplementation(() => undefined);
    try {
      const failures = [
        Object.assign(new Error(`password authentication failed for user "u" (${PASSWORD})`), { code: "28P01" }),
        Object.assign(new Error("connect ECONNREFUSED 10.0.0.7:5433"), { code: "ECONNREFUSED" }),
        Object.assign(new Error("connect ETIMEDOUT 10.0.0.7:22"), { code: "ETIMEDOUT" }),
        Object.assign(new Error("getaddrinfo ENOTFOUND db.internal"), { code: "ENOTFOUND" }),
      ].map((cause) => connectionFailed(cause, redactor, "POSTGRES"));
      for (const error of failures) {
        expect(error).toBeInstanceOf(AppError);
        expect(error.code).toBe("UPSTREAM_UNAVAILABLE");
        expect(error.message).toBe(CONNECTION_FAILED_MESSAGE);
        expect(error.details).toBeUndefined();
        expect(error.cause).toBeUndefined();
      }
      const lines = logged.mock.calls.map(([line]) => JSON.parse(String(line)) as Record<string, unknown>);
      expect(lines.map((l) => [l.msg, l.source, l.code])).toEqual([
        ["source.connect_failed", "POSTGRES", "28P01"],
        ["source.connect_failed", "POSTGRES", "ECONNREFUSED"],
        ["source.connect_failed", "POSTGRES", "ETIMEDOUT"],
        ["source.connect_failed", "POSTGRES", "ENOTFOUND"],
      ]);
      expect(lines[1]!.reason).toBe("connect ECONNREFUSED 10.0.0.7:5433");
      expect(JSON.stringify(lines)).not.toContain(PASSWORD);
    } finally {
      logged.mockRestore();
    }
  });

  it("maps statement errors to QUERY_FAILED and timeouts to TIMEOUT", () => {
    expect(queryFailed(new Error('relation "nope" does not exist'), redactor).code).toBe("QUERY_FAILED");
    const timeout = queryTimedOut(200, new Error("canceling statement due to statement timeout"), redactor);
    expect(timeout.code).toBe("TIMEOUT");
    expect(timeout.httpStatus).toBe(504);
    expect(timeout.message).toMatch(/^The query timed out after 200 ms/);
    expect(timeout.details).toEqual({ reason: "statement_timeout", timeoutMs: 200 });
  });
});
