/**
 * Everything an export needs, for real, in one test process: s3rver on a free port, the
 * app's Inngest functions behind the SDK's own serve handler on another, and the local
 * executor driving them over HTTP exactly as Inngest would. PostgreSQL, MariaDB and Redis
 * are the machine's own.
 *
 * The environment is set before the app's modules are imported, so call this before
 * anything reads getEnv() in the test file (import app modules dynamically after it).
 */
import { mkdtempSync, rmSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";

import { startLocalInngest } from "../../dev/local-inngest";
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

export type ExportHarness = Awaited<ReturnType<typeof startExportHarness>>;

export async function startExportHarness(options: { env?: Record<string, string> } = {}) {
  const dir = mkdtempSync(path.join(tmpdir(), "export-harness-"));
  const bucket = "test-exports";
  const startStorage = (port?: number) => startS3rver({ port, directory: path.join(dir, "s3"), bucket });
  let s3 = await startStorage();
  const executorPort = await freePort();
  Object.assign(process.env, {
    S3_ENDPOINT: s3.endpoint,
    S3_BUCKET: bucket,
    INNGEST_DEV: "1",
    INNGEST_BASE_URL: `http://127.0.0.1:${executorPort}`,
    ...options.env,
  });

  const { serve } = await import("inngest/node");
  const { functions } = await import("~/server/jobs/functions");
  const { inngest } = await import("~/server/jobs/inngest-client");
  const app = createServer(serve({ client: inngest, functions, servePath: "/api/inngest" }));
  const appPort = await listen(app);
  const appUrl = `http://127.0.0.1:${appPort}/api/inngest`;

  const startExecutor = () =>
    startLocalInngest({ port: executorPort, host: "127.0.0.1", appUrls: [appUrl], dataDir: path.join(dir, "executor"), retryBaseMs: 100, log: () => {} });
  let executor = await startExecutor();

  return {
    bucket,
    /** Takes storage down, as an outage would; `startStorage` brings it back on the same port. */
    async stopStorage() {
      await s3.close();
    },
    async startStorage() {
      s3 = await startStorage(s3.port);
    },
    /** Multipart uploads started and neither completed nor aborted. */
    pendingUploads: () => s3.pendingUploads(),
    get executor() {
      return executor;
    },
    /** Stops the executor abruptly and starts a new one on the same state, as after a crash. */
    async restartExecutor() {
      await executor.close();
      executor = await startExecutor();
    },
    async close() {
      await executor.close();
      app.closeAllConnections();
      await new Promise((resolve) => app.close(resolve));
      await s3.close();
      const { getRedis } = await import("~/server/services");
      await getRedis().close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
