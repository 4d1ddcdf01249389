/**
 * Sign-in's configuration: AUTH_URL is required in production (with a message that says what
 * to set), `npm start` no longer pins sign-in to http://localhost (so it works at the address
 * the user opened; e2e/signin.spec.ts signs in at 127.0.0.1 for real), and the sign-in page's
 * provider buttons are the external providers only, named as next-auth names them.
 */
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";

import { describe, expect, it } from "vitest";

import { parseEnv } from "~/env";
import { signInButtons } from "~/server/auth/config";
import { TEST_DATABASE_URL, TEST_REDIS_URL } from "./support/test-env";

const base = {
  DATABASE_URL: TEST_DATABASE_URL,
  REDIS_URL: TEST_REDIS_URL,
  VAULT_KEY: "a".repeat(64),
  AUTH_SECRET: "a-secret-of-sixteen-or-more",
  S3_ENDPOINT: "http://127.0.0.1:4569",
  S3_ACCESS_KEY_ID: "S3RVER",
  S3_SECRET_ACCESS_KEY: "S3RVER",
};

describe("AUTH_URL", () => {
  it("is required in production, with a message that names it and says what to set", () => {
    expect(() => parseEnv({ ...base, NODE_ENV: "production" })).toThrow(
      /AUTH_URL: required in production: the app's public URL, e\.g\. https:\/\/exports\.example\.com.*AUTH_TRUST_HOST=true instead/,
    );
  });

  it("is enough in production, as is an explicit AUTH_TRUST_HOST behind a proxy", () => {
    expect(parseEnv({ ...base, NODE_ENV: "production", AUTH_URL: "https://exports.example.com" }).AUTH_URL).toBe("https://exports.example.com");
    expect(parseEnv({ ...base, NODE_ENV: "production", AUTH_TRUST_HOST: "true" }).AUTH_TRUST_HOST).toBe(true);
    expect(() => parseEnv({ ...base, NODE_ENV: "production", AUTH_TRUST_HOST: "false" })).toThrow(/AUTH_URL: required in production/);
  });

  it("may be left out outside production", () => {
    expect(parseEnv({ ...base, NODE_ENV: "development" }).AUTH_URL).toBeUndefined();
    expect(parseEnv({ ...base, NODE_ENV: "test" }).AUTH_URL).toBeUndefined();
  });

  it("must be a URL when set", () => {
    expect(() => parseEnv({ ...base, AUTH_URL: "exports.example.com" })).toThrow(/AUTH_URL: must be the app's public URL/);
  });

  it("is not pinned by npm start, whose production build then trusts the host the browser asked for", async () => {
    process.env.EXPORT_CENTER_LOCAL_DIR = mkdtempSync(path.join(tmpdir(), "embedded-env-"));
    const { embeddedPlan } = await import("../scripts/embedded-env");
    const { env } = embeddedPlan({ NODE_ENV: "production", PORT: "3000" });
    expect(env.AUTH_URL).toBeUndefined();
    // `next start` runs with NODE_ENV=production, so the embedded environment must pass as that.
    expect(parseEnv({ ...env, NODE_ENV: "production" }).AUTH_TRUST_HOST).toBe(true);
  });
});

describe("the sign-in page's provider buttons", () => {
  it("are the external providers, by their applied ids and names, never the development sign-in", () => {
    const env = parseEnv({
      ...base,
      NODE_ENV: "development",
      AUTH_GITHUB_ID: "gh-id",
      AUTH_GITHUB_SECRET: "gh-secret",
      EMAIL_SERVER: "smtp://127.0.0.1:2525",
      EMAIL_FROM: "Export Center <exports@example.com>",
    });
    expect(signInButtons(env)).toEqual([
      { id: "github", name: "GitHub", type: "oauth" },
      { id: "nodemailer", name: "email", type: "email" },
    ]);
  });

  it("are none when only the development sign-in is configured", () => {
    expect(signInButtons(parseEnv({ ...base, NODE_ENV: "development" }))).toEqual([]);
  });
});
