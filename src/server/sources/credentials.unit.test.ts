import { describe, expect, it } from "vitest";

import { AppError } from "~/server/errors";

import { createSourceAdapter } from "./create-source-adapter";
import { developmentPolicy } from "./__fixtures__/target-policy";
import { parseSourceCredentials } from "./credentials";

const PASSWORD = "S3cr3t-Planted-Pw!";

function failure(run: () => unknown): AppError {
  try {
    run();
  } catch (error) {
    if (error instanceof AppError) return error;
    throw error;
  }
  throw new Error("expected an AppError");
}

describe("source credentials", () => {
  it("accepts a URL or separate fields for Postgres and MySQL, with defaults", () => {
    expect(parseSourceCredentials("POSTGRES", { url: "postgresql://u:p@h:5432/db" })).toEqual({ url: "postgresql://u:p@h:5432/db" });
    expect(parseSourceCredentials("POSTGRES", { host: "h", database: "db", user: "u", password: "p", ssl: true })).toEqual({
      host: "h",
      port: 5432,
      database: "db",
      user: "u",
      password: "p",
      ssl: true,
    });
    expect(parseSourceCredentials("MYSQL", { host: "h", port: "3307", database: "db", user: "u" })).toMatchObject({ port: 3307 });
    expect(parseSourceCredentials("MYSQL", { url: "mariadb://u@h/db", ssl: { rejectUnauthorized: false } })).toMatchObject({
      ssl: { rejectUnauthorized: false },
    });
  });

  it("accepts Snowflake with a password or a private key", () => {
    expect(parseSourceCredentials("SNOWFLAKE", { account: "org-acc", username: "u", password: "p", warehouse: "wh" })).toMatchObject({
      account: "org-acc",
    });
    expect(parseSourceCredentials("SNOWFLAKE", { account: "org-acc", username: "u", privateKey: "-----BEGIN…" })).toMatchObject({
      privateKey: "-----BEGIN…",
    });
  });

  it("accepts a BigQuery service account as an object or as key-file text", () => {
    const key = { type: "service_account", client_email: "sa@p.iam.gserviceaccount.com", private_key: "k", project_id: "p" };
    const fromText = parseSourceCredentials("BIGQUERY", { projectId: "p", credentials: JSON.stringify(key), location: "EU" });
    expect(fromText.credentials).toMatchObject(key);
    expect(parseSourceCredentials("BIGQUERY", { projectId: "p", credentials: key }).credentials).toMatchObject(key);
  });

  it("names the bad fields without echoing any value", () => {
    const cases: [Parameters<typeof parseSourceCredentials>[0], unknown, RegExp][] = [
      ["POSTGRES", { host: "h", database: "db", user: "u", password: 5 }, /password/],
      ["POSTGRES", { url: `mysql://u:${PASSWORD}@h/db` }, /url: must be a postgres/],
      ["POSTGRES", { url: `postgresql://u:${PASSWORD}@h:notaport/db` }, /url: is not a valid URL/],
      ["MYSQL", { host: "h" }, /database.*user/],
      ["SNOWFLAKE", { account: "a", username: "u" }, /password or privateKey is required/],
      ["BIGQUERY", { projectId: "p", credentials: `{"private_key": "${PASSWORD}"` }, /credentials/],
    ];
    for (const [type, input, expected] of cases) {
      const error = failure(() => parseSourceCredentials(type, input));
      expect(error.code).toBe("BAD_REQUEST");
      expect(error.message).toMatch(expected);
      expect(error.message).not.toContain(PASSWORD);
    }
  });

  it("is what the adapter factory checks first", async () => {
    await expect(createSourceAdapter("POSTGRES", { url: "nope" }, developmentPolicy())).rejects.toMatchObject({ code: "BAD_REQUEST" });
    const adapter = await createSourceAdapter("POSTGRES", { url: "postgresql://u@127.0.0.1:1/db" }, developmentPolicy());
    expect(adapter.type).toBe("POSTGRES");
  });
});
