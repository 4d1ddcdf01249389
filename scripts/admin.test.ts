/**
 * The admin CLI as operators and scripts meet it: a child process per command, against
 * the test database (DATABASE_URL from tests/global-setup.ts), checked by its stdout,
 * stderr and exit code. It runs node_modules/.bin/tsx, the binary `npx tsx` resolves to,
 * without npm's start-up time. Each test uses teams and emails of its own, so they run
 * concurrently; each spawn costs about a second of CPU, hence the generous timeouts.
 */
import { execFile } from "node:child_process";
import { randomUUID } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";

import { describe, expect, it } from "vitest";

import { verifyApiToken } from "~/server/auth/api-tokens";
import { verifyPassword } from "~/server/auth/password";
import { db } from "~/server/db";
import { startS3rver } from "../dev/s3rver";
import { TEST_DATABASE_URL, TEST_MYSQL_ADMIN_URL, TEST_SOURCE_DATABASE_URL, withPassword } from "../tests/support/test-env";

const ROOT = path.resolve(import.meta.dirname, "..");
const TSX = path.join(ROOT, "node_modules/.bin/tsx");

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

function admin(...args: string[]): Promise<Run> {
  return adminWithEnv({}, ...args);
}

/** The same, with some variables set for this run only (another store, say). */
function adminWithEnv(env: Record<string, string>, ...args: string[]): Promise<Run> {
  return new Promise((resolve) => {
    execFile(TSX, ["scripts/admin.ts", ...args], { cwd: ROOT, env: { ...process.env, ...env }, timeout: 45_000 }, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === "number" ? error.code : -1) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

/** Runs with --json and insists on exactly one JSON object on stdout, whatever the outcome. */
async function adminJson(...args: string[]): Promise<Run & { json: Record<string, unknown> }> {
  return adminJsonWithEnv({}, ...args);
}

async function adminJsonWithEnv(env: Record<string, string>, ...args: string[]): Promise<Run & { json: Record<string, unknown> }> {
  const run = await adminWithEnv(env, ...args, "--json");
  const lines = run.stdout.split("\n").filter((line) => line !== "");
  expect(lines, `stdout of ${args.join(" ")}; stderr: ${run.stderr}`).toHaveLength(1);
  return { ...run, json: JSON.parse(lines[0]!) as Record<string, unknown> };
}

const email = () => `cli-${randomUUID().slice(0, 8)}@example.test`;

async function newTeam(name = `CLI team ${randomUUID().slice(0, 8)}`) {
  const run = await adminJson("create-team", "--name", name);
  expect(run.code, run.stderr).toBe(0);
  return run.json as { id: string; name: string };
}

describe.concurrent("admin CLI: teams and users", { timeout: 120_000 }, () => {
  it("create-team prints the new team", async () => {
    const run = await adminJson("create-team", "--name", "Acme, Inc. 🚀");
    expect(run.code).toBe(0);
    expect(run.json).toEqual({ id: expect.any(String), name: "Acme, Inc. 🚀" });
    expect(await db.team.findUnique({ where: { id: run.json.id as string } })).toMatchObject({ name: "Acme, Inc. 🚀" });
  });

  it("create-user creates the user with a hashed password, and repeating it changes nothing", async () => {
    const team = await newTeam();
    const address = email();
    const args = ["create-user", "--email", address.toUpperCase(), "--team", team.id, "--role", "owner"];
    args.push("--name", "Ann", "--password", "s3cret-pass");

    const first = await adminJson(...args);
    expect(first.code, first.stderr).toBe(0);
    expect(first.json).toEqual({ id: expect.any(String), email: address, teamId: team.id, role: "owner" });
    const user = await db.user.findUniqueOrThrow({ where: { email: address }, include: { memberships: true } });
    expect(user).toMatchObject({ id: first.json.id, name: "Ann" });
    expect(user.passwordHash).not.toContain("s3cret-pass");
    expect(await verifyPassword("s3cret-pass", user.passwordHash!)).toBe(true);
    expect(user.memberships.map((m) => [m.teamId, m.role])).toEqual([[team.id, "OWNER"]]);

    const again = await adminJson(...args);
    expect(again.code, again.stderr).toBe(0);
    expect(again.json).toEqual(first.json);
    expect(again.stderr).toContain("left unchanged");
    const after = await db.user.findUniqueOrThrow({ where: { email: address }, include: { memberships: true } });
    expect(after.passwordHash).toBe(user.passwordHash);
    expect(after.memberships).toHaveLength(1);
  });

  it("create-user adds an existing user to another team, but never changes a role", async () => {
    const [a, b] = await Promise.all([newTeam(), newTeam()]);
    const address = email();
    expect((await adminJson("create-user", "--email", address, "--team", a.id, "--role", "member")).code).toBe(0);
    const second = await adminJson("create-user", "--email", address, "--team", b.id, "--role", "VIEWER");
    expect(second.code, second.stderr).toBe(0);
    expect(second.json).toMatchObject({ teamId: b.id, role: "viewer" });
    const memberships = await db.membership.findMany({ where: { user: { email: address } }, orderBy: { role: "asc" } });
    expect(memberships.map((m) => [m.teamId, m.role]).sort()).toEqual([[a.id, "MEMBER"], [b.id, "VIEWER"]].sort());

    const promote = await adminJson("create-user", "--email", address, "--team", a.id, "--role", "admin");
    expect(promote.code).toBe(1);
    expect(promote.json).toEqual({ error: { code: "conflict", message: expect.stringContaining("already a member") } });
    expect(promote.stderr).toContain("does not change roles");
  });

  it("prints one short human line without --json", async () => {
    const run = await admin("create-team", "--name", "Plain");
    expect(run.code).toBe(0);
    expect(run.stdout.trim().split("\n")).toHaveLength(1);
    expect(run.stdout).toMatch(/^Created team "Plain" \(\w+\)\n$/);
  });
});

describe.concurrent("admin CLI: API tokens", { timeout: 120_000 }, () => {
  it("creates a token that authenticates, lists it without its secret, and revokes it", async () => {
    const team = await newTeam();
    const address = email();
    const user = await adminJson("create-user", "--email", address, "--team", team.id, "--role", "admin");
    expect(user.code, user.stderr).toBe(0);

    const created = await adminJson("create-token", "--email", address, "--team", team.id, "--name", "ci");
    expect(created.code, created.stderr).toBe(0);
    expect(created.json).toEqual({ id: expect.any(String), token: expect.stringMatching(/^ec_[A-Za-z0-9_-]{43}$/) });
    const token = created.json.token as string;
    expect(await verifyApiToken(token)).toEqual({ userId: user.json.id, teamId: team.id, tokenId: created.json.id });

    const listed = await adminJson("list-tokens", "--team", team.id);
    expect(listed.code).toBe(0);
    expect(listed.json).toEqual({
      tokens: [
        {
          id: created.json.id,
          name: "ci",
          prefix: token.slice(0, 9),
          userId: user.json.id,
          createdAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
          lastUsedAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
          revokedAt: null,
        },
      ],
    });
    const stored = await db.apiToken.findUniqueOrThrow({ where: { id: created.json.id as string } });
    expect(listed.stdout).not.toContain(token);
    expect(listed.stdout).not.toContain(stored.tokenHash);

    const revoked = await adminJson("revoke-token", "--id", created.json.id as string);
    expect(revoked.code, revoked.stderr).toBe(0);
    expect(revoked.json).toEqual({ id: created.json.id, revoked: true });
    await expect(verifyApiToken(token)).rejects.toMatchObject({ code: "UNAUTHORIZED" });

    const human = await admin("list-tokens", "--team", team.id);
    expect(human.stdout).toContain(`${created.json.id}  ${token.slice(0, 9)}…  "ci"`);
    expect(human.stdout).toContain("revoked ");

    const twice = await adminJson("revoke-token", "--id", created.json.id as string);
    expect(twice.code).toBe(1);
    expect(twice.json).toMatchObject({ error: { code: "not_found" } });
  });

  it("refuses a token for someone who is not a member of the team", async () => {
    const [team, other] = await Promise.all([newTeam(), newTeam()]);
    const address = email();
    await adminJson("create-user", "--email", address, "--team", other.id, "--role", "owner");
    const run = await adminJson("create-token", "--email", address, "--team", team.id);
    expect(run.code).toBe(1);
    expect(run.json).toEqual({ error: { code: "forbidden", message: `${address} is not a member of team ${team.id}` } });
  });
});

describe.concurrent("admin CLI: errors", { timeout: 120_000 }, () => {
  it.each([
    [["create-user", "--email", "x@example.test", "--team", "no-such-team", "--role", "member"]],
    [["create-token", "--email", "x@example.test", "--team", "no-such-team"]],
    [["list-tokens", "--team", "no-such-team"]],
  ])("an unknown team is refused with exit code 1: %j", async (args) => {
    const run = await adminJson(...args);
    expect(run.code).toBe(1);
    expect(run.json).toEqual({ error: { code: "not_found", message: 'No team with id "no-such-team"' } });
    expect(run.stderr).toContain('No team with id "no-such-team"');
    expect(run.stderr).not.toContain("Usage:");
  });

  it("an unknown email is refused with exit code 1", async () => {
    const team = await newTeam();
    const run = await adminJson("create-token", "--email", "nobody-here@example.test", "--team", team.id);
    expect(run.code).toBe(1);
    expect(run.json).toMatchObject({ error: { code: "not_found", message: 'No user with email "nobody-here@example.test"' } });
  });

  it("an unknown command gets the usage on stderr, nothing on stdout, and exit code 2", async () => {
    const run = await admin("make-coffee", "--strong");
    expect(run).toMatchObject({ code: 2, stdout: "" });
    expect(run.stderr).toContain('unknown command "make-coffee"');
    expect(run.stderr).toContain("Usage: npm run admin -- <command>");
    expect(run.stderr).toContain("revoke-token");
  });

  it.each([
    [["create-team", "--name", "x", "--colour", "red"], /Unknown option '--colour'/],
    [["create-team"], /--name is required/],
    [["create-team", "--name", "  "], /--name must not be empty/],
    [["create-team", "--name"], /Option '--name( <value>)?' argument/],
    [["create-team", "--name", "x", "extra"], /Unexpected argument 'extra'/],
    [["create-user", "--email", "not-an-email", "--team", "t", "--role", "member"], /--email must be an email address/],
    [["create-user", "--email", "a@example.test", "--team", "t", "--role", "boss"], /--role must be one of owner, admin, member, viewer/],
    [["create-user", "--email", "a@example.test", "--team", "t", "--role", "member", "--password", "short"], /at least 8 characters/],
    [["revoke-token"], /--id is required/],
  ])("bad flags get a clear message, the usage and exit code 2: %j", async (args, message) => {
    const run = await adminJson(...args);
    expect(run.code).toBe(2);
    expect(run.json).toEqual({ error: { code: "usage", message: expect.stringMatching(message) } });
    expect(run.stderr).toMatch(message);
    expect(run.stderr).toContain("Usage:");
  });

  it("no command at all is a usage error; help is not", async () => {
    const [none, help] = await Promise.all([admin(), admin("help")]);
    expect(none.code).toBe(2);
    expect(none.stderr).toContain("no command given");
    expect(help).toMatchObject({ code: 0, stderr: "" });
    expect(help.stdout).toContain("create-token");
  });
});

describe.concurrent("admin CLI: data sources and metrics", { timeout: 120_000 }, () => {
  it("creates a data source with encrypted credentials and a metric on it", async () => {
    const team = await newTeam();
    const url = withPassword(TEST_SOURCE_DATABASE_URL, "cli-planted-pw");
    const source = await adminJson("create-data-source", "--team", team.id, "--type", "postgres", "--name", "Warehouse", "--url", url);
    expect(source.code, source.stderr).toBe(0);
    expect(source.json).toEqual({ id: expect.any(String) });
    const stored = await db.dataSource.findUniqueOrThrow({ where: { id: source.json.id as string } });
    expect(stored).toMatchObject({ teamId: team.id, type: "POSTGRES", name: "Warehouse" });
    expect(stored.encryptedCredentials).not.toContain("cli-planted-pw");

    const metric = await adminJson("create-metric", "--team", team.id, "--source", source.json.id as string, "--name", "Answer", "--sql", "select 42 as answer");
    expect(metric.code, metric.stderr).toBe(0);
    expect(await db.metric.findUniqueOrThrow({ where: { id: metric.json.id as string } })).toMatchObject({ sql: "select 42 as answer", dataSourceId: source.json.id });
  });

  it("refuses a data source that is the app's own database, under any name for its host (exit 1)", async () => {
    const team = await newTeam();
    const app = new URL(TEST_DATABASE_URL);
    for (const host of ["localhost", "[::1]"]) {
      app.hostname = host;
      const run = await adminJson("create-data-source", "--team", team.id, "--type", "postgres", "--name", `App ${host}`, "--url", app.toString());
      expect(run.code).toBe(1);
      expect(run.json).toMatchObject({ error: { code: "bad_request", message: expect.stringMatching(/^This data source points at Export Center's own database/) } });
    }
    expect(await db.dataSource.count({ where: { teamId: team.id } })).toBe(0);
  });

  it("refuses an unknown type (usage, exit 2) and another team's data source (exit 1)", async () => {
    const team = await newTeam();
    const badType = await admin("create-data-source", "--team", team.id, "--type", "oracle", "--name", "X", "--url", "x");
    expect(badType.code).toBe(2);
    expect(badType.stderr).toContain("--type must be postgres or mysql");
    const other = await newTeam();
    const source = await adminJson("create-data-source", "--team", other.id, "--type", "mysql", "--name", "M", "--url", TEST_MYSQL_ADMIN_URL);
    const foreign = await adminJson("create-metric", "--team", team.id, "--source", source.json.id as string, "--name", "N", "--sql", "select 1");
    expect(foreign.code).toBe(1);
    expect(foreign.json).toMatchObject({ error: { code: "not_found" } });
  });
});

describe.concurrent("admin CLI: the bucket lifecycle rule", { timeout: 120_000 }, () => {
  const storeEnv = (endpoint: string) => ({ S3_ENDPOINT: endpoint, S3_BUCKET: "lifecycle-test" });

  it("apply-lifecycle-rule sends the exports expiry and AbortIncompleteMultipartUpload to a store that takes lifecycle rules", async () => {
    // s3rver has no lifecycle API, so a recording server stands in for S3 / R2 here: the test
    // checks the configuration the store receives, not that a store enforces it.
    const received: { method?: string; url?: string; body: string }[] = [];
    const store = createServer((req, res) => {
      let body = "";
      req.on("data", (chunk: Buffer) => (body += chunk.toString("utf8")));
      req.on("end", () => {
        received.push({ method: req.method, url: req.url, body });
        res.writeHead(200).end();
      });
    });
    await new Promise<void>((resolve) => store.listen(0, "127.0.0.1", resolve));
    try {
      const run = await adminJsonWithEnv(storeEnv(`http://127.0.0.1:${(store.address() as AddressInfo).port}`), "apply-lifecycle-rule", "--days", "3");
      expect(run.code, run.stderr).toBe(0);
      expect(run.json).toEqual({ bucket: "lifecycle-test", prefix: "exports/", days: 3, abortIncompleteUploadsAfterDays: 1, applied: true });
      expect(received).toHaveLength(1);
      expect(received[0]).toMatchObject({ method: "PUT", url: expect.stringMatching(/^\/lifecycle-test\/?\?lifecycle/) });
      const rule = received[0]!.body.replace(/\s+/g, "");
      expect(rule).toContain("<Filter><Prefix>exports/</Prefix></Filter>");
      expect(rule).toContain("<Status>Enabled</Status>");
      expect(rule).toContain("<Expiration><Days>3</Days></Expiration>");
      expect(rule).toContain("<AbortIncompleteMultipartUpload><DaysAfterInitiation>1</DaysAfterInitiation></AbortIncompleteMultipartUpload>");
    } finally {
      store.closeAllConnections();
      await new Promise((resolve) => store.close(resolve));
    }
  });

  it("apply-lifecycle-rule against s3rver 3.7.1, which does not support lifecycle configuration, says so", async () => {
    const dir = mkdtempSync(path.join(tmpdir(), "lifecycle-s3rver-"));
    const s3 = await startS3rver({ directory: dir, bucket: "lifecycle-test" });
    try {
      const run = await adminJsonWithEnv(storeEnv(s3.endpoint), "apply-lifecycle-rule");
      expect(run.code, run.stderr).toBe(0);
      // The default: the 7-day job lifetime plus a day.
      expect(run.json).toEqual({
        bucket: "lifecycle-test",
        prefix: "exports/",
        days: 8,
        abortIncompleteUploadsAfterDays: 1,
        applied: false,
        reason: "The storage does not support lifecycle rules (NotImplemented)",
      });
    } finally {
      await s3.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
