/**
 * `npm start`'s defaults for Inngest and the listening address: a signing key and an event
 * key made once per checkout and shared by the app and the local executor (whose dashboard
 * the app's header links to), the executor off when the user chose another engine, and
 * loopback unless HOST says otherwise.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";

import { afterAll, beforeAll, describe, expect, it } from "vitest";

const dir = mkdtempSync(path.join(tmpdir(), "embedded-env-"));
const secretsFile = path.join(dir, "secrets.json");
let embeddedPlanOf: typeof import("./embedded-env").embeddedPlan;
/** The plan for a shell that has set only `source`. */
const embeddedPlan = (source: Record<string, string>) => embeddedPlanOf({ NODE_ENV: "development", ...source });

beforeAll(async () => {
  process.env.EXPORT_CENTER_LOCAL_DIR = dir;
  // A checkout from before the Inngest keys existed.
  writeFileSync(secretsFile, JSON.stringify({ VAULT_KEY: "v".repeat(64), AUTH_SECRET: "kept" }));
  ({ embeddedPlan: embeddedPlanOf } = await import("./embedded-env"));
});

afterAll(() => {
  delete process.env.EXPORT_CENTER_LOCAL_DIR;
  rmSync(dir, { recursive: true, force: true });
});

describe("embeddedPlan", () => {
  it("runs the local executor with keys made once, added to an older secrets file, and the SDK in cloud mode", () => {
    const first = embeddedPlan({});
    expect(first.env.INNGEST_SIGNING_KEY).toMatch(/^signkey-local-[0-9a-f]{64}$/);
    expect(first.env.INNGEST_EVENT_KEY).toMatch(/^[0-9a-f]{64}$/);
    expect(first.env.INNGEST_BASE_URL).toBe("http://127.0.0.1:8288");
    expect(first.env.ENGINE_DASHBOARD_URL).toBe("http://127.0.0.1:8288");
    expect(first.env.INNGEST_DEV).toBeUndefined();
    expect(first.inngest).toMatchObject({ port: 8288 });
    expect(first.inngestDevMode).toBe(false);

    const saved = JSON.parse(readFileSync(secretsFile, "utf8")) as Record<string, string>;
    expect(saved).toMatchObject({ VAULT_KEY: "v".repeat(64), AUTH_SECRET: "kept", INNGEST_SIGNING_KEY: first.env.INNGEST_SIGNING_KEY });
    expect(embeddedPlan({}).env).toMatchObject({ INNGEST_SIGNING_KEY: first.env.INNGEST_SIGNING_KEY, INNGEST_EVENT_KEY: first.env.INNGEST_EVENT_KEY });
    expect(embeddedPlan({ INNGEST_DEV: "0" }).inngest).toBeDefined();
  });

  it.each([
    ["INNGEST_DEV=1 (the real dev server)", { INNGEST_DEV: "1" }],
    ["INNGEST_DEV as the dev server's URL", { INNGEST_DEV: "http://localhost:8288" }],
    ["a signing key (Inngest Cloud)", { INNGEST_SIGNING_KEY: "signkey-prod-abcd", INNGEST_EVENT_KEY: "cloud" }],
    ["a base URL (inngest start)", { INNGEST_BASE_URL: "http://inngest:8288", INNGEST_SIGNING_KEY: "signkey-prod-abcd" }],
  ])("leaves Inngest to the user with %s, and never injects the local keys", (_, source: Record<string, string>) => {
    const plan = embeddedPlan(source);
    expect(plan.inngest).toBeUndefined();
    expect(plan.env.INNGEST_SIGNING_KEY).toBeUndefined();
    expect(plan.env.INNGEST_EVENT_KEY).toBeUndefined();
    expect(plan.env.INNGEST_BASE_URL).toBeUndefined();
    expect(plan.env.ENGINE_DASHBOARD_URL).toBeUndefined();
    expect(plan.inngestDevMode).toBe(Boolean(source.INNGEST_DEV));
  });

  it("listens on 127.0.0.1 unless HOST says otherwise", () => {
    expect(embeddedPlan({}).env.HOST).toBe("127.0.0.1");
    expect(embeddedPlan({ HOST: "0.0.0.0" }).env.HOST).toBe("0.0.0.0");
  });
});
