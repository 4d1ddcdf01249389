/**
 * A malformed variable stops the app at start-up, under each way of starting it: `next start`
 * and `tsx scripts/serve.ts` against the suite's own build (the one the web server below
 * serves, so nothing is built twice), and `npm start`. Each exits 1 by itself, naming the
 * variable and never its value. The valid case is the rest of the suite: the app it runs went
 * through the same check (src/instrumentation.ts, scripts/serve.ts, scripts/start.ts).
 */
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer, request, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";

import { expect, test } from "@playwright/test";

import { e2eEnv } from "../playwright.config";

const MALFORMED_KEY = "not-hex-but-a-secret-value";

/** A complete configuration but for VAULT_KEY, so that the check has exactly one thing to name. */
const env: NodeJS.ProcessEnv = {
  ...process.env,
  DATABASE_URL: e2eEnv.DATABASE_URL,
  REDIS_URL: e2eEnv.REDIS_URL,
  AUTH_SECRET: "start-up-check-auth-secret",
  AUTH_TRUST_HOST: "true",
  S3_ENDPOINT: `http://127.0.0.1:${e2eEnv.S3RVER_PORT}`,
  S3_ACCESS_KEY_ID: "S3RVER",
  S3_SECRET_ACCESS_KEY: "S3RVER",
  S3_BUCKET: "metric-exports",
  VAULT_KEY: MALFORMED_KEY,
  NODE_ENV: "production",
};

type Exited = { code: number | null; output: string };

/**
 * Runs a command until it exits by itself; `onOutput` sees the output as it comes. It runs in a
 * process group of its own, so that `stop` also ends what npx and npm started under it.
 */
function runToExit(command: string, args: string[], extraEnv: Record<string, string> = {}, onOutput: (output: string) => void = () => {}) {
  const child = spawn(command, args, { env: { ...env, ...extraEnv }, stdio: ["ignore", "pipe", "pipe"], detached: true });
  let output = "";
  const collect = (chunk: Buffer) => {
    output += chunk.toString();
    onOutput(output);
  };
  child.stdout.on("data", collect);
  child.stderr.on("data", collect);
  const exited = new Promise<Exited>((resolve) => child.once("close", (code) => resolve({ code, output })));
  const stop = () => {
    try {
      process.kill(-child.pid!, "SIGKILL");
    } catch {
      // The group has exited already.
    }
  };
  return { exited, stop };
}

/** The variables a failed check lists, as `  - NAME: what it must be`. */
const namedVariables = (output: string) => [...output.matchAll(/^\s+- ([A-Z0-9_]+): /gm)].map((m) => m[1]);

function expectRefusedForVaultKey({ code, output }: Exited, prefix: string) {
  expect(code, output).toBe(1);
  expect(output).toContain(`${prefix} Invalid environment configuration:`);
  expect(namedVariables(output)).toEqual(["VAULT_KEY"]);
  expect(output).toContain("VAULT_KEY: must be 32 bytes as 64 hex characters");
  expect(output).not.toContain(MALFORMED_KEY);
}

/** A port this test holds itself: a process that tried to listen on it would die with EADDRINUSE instead. */
async function holdPort(): Promise<{ port: number; server: Server }> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return { port: (server.address() as AddressInfo).port, server };
}

async function freePort(): Promise<number> {
  const { port, server } = await holdPort();
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** A GET that resolves with the status, or with the socket's error when no answer ever comes. */
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
  // Next opens its port before it loads instrumentation.ts: a request sent once it says
  // "Ready" reaches the server while the check runs, and must not be answered.
  let probe: Promise<number | string> | undefined;
  const run = runToExit("npx", ["next", "start", "-p", String(port), "-H", "127.0.0.1"], {}, (output) => {
    if (!probe && output.includes("Ready in")) probe = get(`http://127.0.0.1:${port}/api/health`);
  });
  try {
    const exited = await run.exited;
    expectRefusedForVaultKey(exited, "[next]");
    expect(probe, exited.output).toBeDefined();
    expect(await probe).toMatch(/^E[A-Z]+$/);
  } finally {
    run.stop();
  }
});

test("scripts/serve.ts exits 1 naming the malformed variable before it listens", async () => {
  const held = await holdPort();
  const run = runToExit("npx", ["tsx", "scripts/serve.ts", "-p", String(held.port), "-H", "127.0.0.1"]);
  try {
    const exited = await run.exited;
    expectRefusedForVaultKey(exited, "[serve]");
    expect(exited.output).not.toContain("EADDRINUSE");
  } finally {
    run.stop();
    held.server.close();
  }
});

test("npm start exits 1 naming the malformed variable before it migrates, builds or listens", async () => {
  const held = await holdPort();
  const localDir = mkdtempSync(path.join(tmpdir(), "start-up-check-"));
  // Past the check it would stop at this closed port ("PostgreSQL is not reachable"), before
  // migrating or rebuilding the build the suite is serving.
  const run = runToExit("npm", ["start", "--silent"], { PORT: String(held.port), EXPORT_CENTER_LOCAL_DIR: localDir, DATABASE_URL: "postgresql://postgres@127.0.0.1:1/start_up_check" });
  try {
    const exited = await run.exited;
    expectRefusedForVaultKey(exited, "[start]");
    expect(exited.output).not.toContain("PostgreSQL is not reachable");
    expect(exited.output).not.toContain("EADDRINUSE");
  } finally {
    run.stop();
    held.server.close();
    rmSync(localDir, { recursive: true, force: true });
  }
});
