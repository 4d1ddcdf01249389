/**
 * Everything an export needs, for real, in one test process: s3rver on a free port, the
 * app's Inngest functions behind the SDK's own serve handler on another, and the local
 * executor driving them over HTTP exactly as Inngest would. PostgreSQL, MariaDB and Redis
 * are the machine's own.
 *
 * The SDK runs as in production, in cloud mode with keys of this harness's own: it verifies
 * the executor's signature on every call, whatever INNGEST_DEV the shell may have set.
 *
 * The environment is set before the app's modules are imported, so call this before
 * anything reads getEnv() in the test file (import app modules dynamically after it).
 */
import { type ChildProcess, fork } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

import { startLocalInngest } from "../../dev/local-inngest";
import { newEventKey, newSigningKey } from "../../dev/local-inngest/signature";
import { startS3rver } from "../../dev/s3rver";

async function listen(server: Server): Promise<number> {
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return (server.address() as AddressInfo).port;
}

async function freePort(): Promise<number> {
  const probe = createServer();
  const port = await listen(probe);
  await new Promise((resolve) => probe.close(resolve));
  return port;
}

function nextMessage(child: ChildProcess, expected: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const onMessage = (message: unknown) => {
      if (message !== expected) return;
      child.off("exit", onExit);
      child.off("message", onMessage);
      resolve();
    };
    const onExit = (code: number | null) => reject(new Error(`the app process exited (${code}) before "${expected}"`));
    child.on("message", onMessage);
    child.once("exit", onExit);
  });
}

/** The serve endpoint in a child process: loaded ahead of time, listening when told. */
function forkApp(port: number) {
  const child = fork(fileURLToPath(new URL("./serve-app-process.ts", import.meta.url)), [], {
    execArgv: ["--import", "tsx"],
    env: { ...process.env, APP_PORT: String(port) },
    stdio: ["ignore", "inherit", "inherit", "ipc"],
  });
  const loaded = nextMessage(child, "loaded");
  return {
    child,
    async listen() {
      await loaded;
      const listening = nextMessage(child, "listening");
      child.send("listen");
      await listening;
    },
    async kill() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise((resolve) => child.once("exit", resolve));
      child.kill("SIGKILL");
      await exited;
    },
  };
}

type AppServer = { kill(): Promise<void>; restart(): Promise<void>; close(): Promise<void> };

async function serveInProcess(port: number): Promise<AppServer> {
  const { serve } = await import("inngest/node");
  const { functions } = await import("~/server/jobs/functions");
  const { inngest } = await import("~/server/jobs/inngest-client");
  const app = createServer(serve({ client: inngest, functions, servePath: "/api/inngest" }));
  await new Promise<void>((resolve) => app.listen(port, "127.0.0.1", resolve));
  const unsupported = async () => {
    throw new Error("start the harness with appInChildProcess to kill the app");
  };
  return {
    kill: unsupported,
    restart: unsupported,
    async close() {
      app.closeAllConnections();
      await new Promise((resolve) => app.close(resolve));
    },
  };
}

async function serveInChildProcess(port: number): Promise<AppServer> {
  let running = forkApp(port);
  await running.listen();
  let standby: ReturnType<typeof forkApp> | undefined;
  return {
    async kill() {
      await running.kill();
      // The replacement loads while the app is down, so that restart() is only its listen.
      standby = forkApp(port);
    },
    async restart() {
      running = standby ?? forkApp(port);
      standby = undefined;
      await running.listen();
    },
    async close() {
      await Promise.all([running.kill(), standby?.kill()]);
    },
  };
}

export type ExportHarness = Awaited<ReturnType<typeof startExportHarness>>;

export type ExportHarnessOptions = {
  env?: Record<string, string>;
  /** Multiplies Inngest's retry schedule (15 s, 30 s, 1 min, …); 0.01 unless told. */
  backoffScale?: number;
  /** Serve the functions from a child process, which `killApp` kills with SIGKILL. */
  appInChildProcess?: boolean;
};

export async function startExportHarness(options: ExportHarnessOptions = {}) {
  const dir = mkdtempSync(path.join(tmpdir(), "export-harness-"));
  const bucket = "test-exports";
  const startStorage = (port?: number) => startS3rver({ port, directory: path.join(dir, "s3"), bucket });
  let s3 = await startStorage();
  const executorPort = await freePort();
  const signingKey = newSigningKey("test");
  const eventKey = newEventKey();
  delete process.env.INNGEST_DEV;
  Object.assign(process.env, {
    S3_ENDPOINT: s3.endpoint,
    S3_BUCKET: bucket,
    INNGEST_SIGNING_KEY: signingKey,
    INNGEST_EVENT_KEY: eventKey,
    INNGEST_BASE_URL: `http://127.0.0.1:${executorPort}`,
    ...options.env,
  });

  const appPort = await freePort();
  const app = await (options.appInChildProcess ? serveInChildProcess : serveInProcess)(appPort);
  const appUrl = `http://127.0.0.1:${appPort}/api/inngest`;

  // By default Inngest's retry schedule at a hundredth: after 0.15–0.45 s, then 0.3–0.6 s, ….
  const startExecutor = () =>
    startLocalInngest({
      port: executorPort,
      host: "127.0.0.1",
      appUrls: [appUrl],
      dataDir: path.join(dir, "executor"),
      signingKey,
      eventKey,
      backoffScale: options.backoffScale ?? 0.01,
      log: () => {},
    });
  let executor = await startExecutor();

  return {
    bucket,
    appUrl,
    signingKey,
    /** Takes storage down, as an outage would; `startStorage` brings it back on the same port. */
    async stopStorage() {
      await s3.close();
    },
    async startStorage() {
      s3 = await startStorage(s3.port);
    },
    /** The keys of a team's export files in the exports bucket. */
    async exportObjects(teamId: string): Promise<string[]> {
      const { getStorage } = await import("~/server/services");
      const keys: string[] = [];
      for await (const object of getStorage().listObjects(`exports/${teamId}/`)) keys.push(object.key);
      return keys;
    },
    /** Multipart uploads s3rver holds open in `bucket` (the exports bucket unless told); it has no ListMultipartUploads to ask. */
    pendingUploads: (other?: string) => s3.pendingUploads(other),
    get executor() {
      return executor;
    },
    /** SIGKILLs the app's serve endpoint (appInChildProcess only), as a crash would. */
    killApp: () => app.kill(),
    /** Brings the killed app back on the same address. */
    startApp: () => app.restart(),
    /** Stops the executor abruptly and starts a new one on the same state, as after a crash. */
    async restartExecutor() {
      await executor.close();
      executor = await startExecutor();
    },
    async close() {
      await executor.close();
      await app.close();
      await s3.close();
      const { getRedis } = await import("~/server/services");
      await getRedis().close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
