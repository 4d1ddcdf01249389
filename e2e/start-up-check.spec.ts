/**
 * A malformed variable stops the app at start-up, under each way of starting it: `next start`
 * and `tsx scripts/serve.ts` against the suite's own build (the one the web server serves, so
 * nothing is built twice), and `npm start`. Each exits 1 by itself, naming the variable and
 * never its value. The valid case is the rest of the suite: the app it runs went through the
 * same checks (src/instrumentation.ts, scripts/serve.ts, scripts/start.ts).
 */
import { mkdtempSync, rmSync } from "node:fs";
import { request } from "node:http";
import { tmpdir } from "node:os";
import path from "node:path";

import { expect, test } from "@playwright/test";

import { appEnv, type Exited, freePort, holdPort, runApp } from "./support/app-process";

const MALFORMED_KEY = "not-hex-but-a-secret-value";

/** The variables a failed check lists, as `  - NAME: what it must be`. */
const namedVariables = (output: string) => [...output.matchAll(/^\s+- ([A-Z0-9_]+): /gm)].map((m) => m[1]);

function expectRefusedForVaultKey({ code, output }: Exited, prefix: string) {
  expect(code, output).toBe(1);
  expect(output).toContain(`${prefix} Invalid environment configuration:`);
  expect(namedVariables(output)).toEqual(["VAULT_KEY"]);
  expect(output).toContain("VAULT_KEY: must be 32 bytes as 64 hex characters");
  expect(output).not.toContain(MALFORMED_KEY);
}

/** A GET that resolves with the status, or with the socket's error code when no answer ever comes. */
function get(url: string): Promise<number | string> {
  return new Promise((resolve) => {
    const req = request(url, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on("error", (error: NodeJS.ErrnoException) => resolve(error.code ?? error.message));
    req.end();
  });
}

test("next start exits 1 naming the malformed variable, and answers no request", async () => {
  const port = await freePort();
  const run = runApp("npx", ["next", "start", "-p", String(port), "-H", "127.0.0.1"], appEnv({ VAULT_KEY: MALFORMED_KEY }));
  try {
    // Next opens its port before it loads instrumentation.ts: a request sent once it says
    // "Ready" reaches the server while the check runs, and must get no answer.
    await run.printed("Ready in");
    const answer = await get(`http://127.0.0.1:${port}/api/health`);
    const exited = await run.exited;
    expectRefusedForVaultKey(exited, "[next]");
    expect(answer, exited.output).toMatch(/^E[A-Z]+$/);
  } finally {
    run.stop();
  }
});

test("scripts/serve.ts exits 1 naming the malformed variable before it listens", async () => {
  const held = await holdPort();
  const run = runApp("npx", ["tsx", "scripts/serve.ts", "-p", String(held.port), "-H", "127.0.0.1"], appEnv({ VAULT_KEY: MALFORMED_KEY }));
  try {
    const exited = await run.exited;
    expectRefusedForVaultKey(exited, "[serve]");
    expect(exited.output).not.toContain("EADDRINUSE");
  } finally {
    run.stop();
    await held.release();
  }
});

test("npm start exits 1 naming the malformed variable before it migrates, builds or listens", async () => {
  const held = await holdPort();
  const localDir = mkdtempSync(path.join(tmpdir(), "start-up-check-"));
  // Past the check it would stop at this closed port ("PostgreSQL is not reachable"), before
  // migrating or rebuilding the build the suite is serving.
  const env = appEnv({ VAULT_KEY: MALFORMED_KEY, PORT: String(held.port), EXPORT_CENTER_LOCAL_DIR: localDir, DATABASE_URL: "postgresql://postgres@127.0.0.1:1/start_up_check" });
  const run = runApp("npm", ["start", "--silent"], env);
  try {
    const exited = await run.exited;
    expectRefusedForVaultKey(exited, "[start]");
    expect(exited.output).not.toContain("PostgreSQL is not reachable");
    expect(exited.output).not.toContain("EADDRINUSE");
  } finally {
    run.stop();
    await held.release();
    rmSync(localDir, { recursive: true, force: true });
  }
});
