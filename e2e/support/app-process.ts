/**
 * More app processes beside the suite's own, on the same build, database, Redis and storage:
 * to start the app under another configuration, or to watch a start-up fail. Each runs in a
 * process group of its own, so that stopping it also ends what npx and npm started under it.
 */
import { spawn } from "node:child_process";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";

import { e2eEnv } from "../../playwright.config";

/**
 * A complete production configuration on the suite's services. Its secrets are its own: a
 * second app signs its own sessions, and reads no data-source credentials.
 */
export function appEnv(overrides: Record<string, string> = {}): NodeJS.ProcessEnv {
  return {
    ...process.env,
    NODE_ENV: "production",
    DATABASE_URL: e2eEnv.DATABASE_URL,
    REDIS_URL: e2eEnv.REDIS_URL,
    VAULT_KEY: "e2e0".repeat(16),
    AUTH_SECRET: "second-app-auth-secret-of-the-e2e-suite",
    AUTH_TRUST_HOST: "true",
    AUTH_DEV_LOGIN: "true",
    S3_ENDPOINT: `http://127.0.0.1:${e2eEnv.S3RVER_PORT}`,
    S3_ACCESS_KEY_ID: "S3RVER",
    S3_SECRET_ACCESS_KEY: "S3RVER",
    S3_BUCKET: "metric-exports",
    S3_FORCE_PATH_STYLE: "true",
    // The suite's SMTP catcher, which the suite's own app started.
    EMAIL_SERVER: `smtp://127.0.0.1:${e2eEnv.SMTP_CATCHER_PORT}`,
    EMAIL_FROM: "Export Center <exports@localhost>",
    ...overrides,
  };
}

export type Exited = { code: number | null; output: string };

export type AppProcess = {
  /** Resolves when the process has exited, with its exit code and everything it printed. */
  exited: Promise<Exited>;
  /** Resolves once the output contains `text`; rejects if the process exits first. */
  printed(text: string): Promise<void>;
  stop(): void;
};

export function runApp(command: string, args: string[], env: NodeJS.ProcessEnv): AppProcess {
  const child = spawn(command, args, { env, stdio: ["ignore", "pipe", "pipe"], detached: true });
  let output = "";
  const waiting = new Set<() => void>();
  const collect = (chunk: Buffer) => {
    output += chunk.toString();
    for (const check of waiting) check();
  };
  child.stdout.on("data", collect);
  child.stderr.on("data", collect);
  const exited = new Promise<Exited>((resolve) => child.once("close", (code) => resolve({ code, output })));
  return {
    exited,
    printed(text) {
      return new Promise((resolve, reject) => {
        const check = () => {
          if (!output.includes(text)) return;
          waiting.delete(check);
          resolve();
        };
        waiting.add(check);
        check();
        void exited.then(({ code }) => {
          if (waiting.delete(check)) reject(new Error(`exited (${code}) before printing "${text}":\n${output}`));
        });
      });
    },
    stop() {
      try {
        process.kill(-child.pid!, "SIGKILL");
      } catch {
        // The group has exited already.
      }
    },
  };
}

/** The app as `npm start` serves it (scripts/serve.ts), on `port`, once it listens. */
export async function serveApp(port: number, env: NodeJS.ProcessEnv): Promise<AppProcess> {
  const app = runApp("npx", ["tsx", "scripts/serve.ts", "-p", String(port), "-H", "127.0.0.1"], env);
  await app.printed(`server on http://127.0.0.1:${port}`);
  return app;
}

/** A port this test holds itself: a process that tried to listen on it would die with EADDRINUSE. */
export async function holdPort(): Promise<{ port: number; release(): Promise<void> }> {
  const server: Server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return { port: (server.address() as AddressInfo).port, release: () => new Promise((resolve) => server.close(() => resolve())) };
}

export async function freePort(): Promise<number> {
  const held = await holdPort();
  await held.release();
  return held.port;
}
