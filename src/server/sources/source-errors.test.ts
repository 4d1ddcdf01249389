import { describe, expect, it } from "vitest";

import { AppError } from "~/server/errors";

import { connectionFailed, queryFailed, queryTimedOut, SecretRedactor, urlSecrets } from "./source-errors";

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

  it("maps connection failures to UPSTREAM_UNAVAILABLE without a cause", () => {
    const error = connectionFailed(Object.assign(new Error(`login failed for ${PASSWORD}`), { code: "28P01" }), redactor);
    expect(error).toBeInstanceOf(AppError);
    expect(error.code).toBe("UPSTREAM_UNAVAILABLE");
    expect(error.message).toBe("Could not connect to the data source: login failed for [redacted]");
    expect(error.cause).toBeUndefined();
    expect(error.details).toEqual({ sourceCode: "28P01" });
  });

  it("maps statement errors and timeouts to QUERY_FAILED", () => {
    expect(queryFailed(new Error('relation "nope" does not exist'), redactor).code).toBe("QUERY_FAILED");
    const timeout = queryTimedOut(200, new Error("canceling statement due to statement timeout"), redactor);
    expect(timeout.code).toBe("QUERY_FAILED");
    expect(timeout.message).toMatch(/^The query timed out after 200 ms/);
    expect(timeout.details).toEqual({ reason: "statement_timeout", timeoutMs: 200 });
  });
});
