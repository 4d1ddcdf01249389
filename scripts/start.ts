/**
 * `npm start` (build, then serve) and `npm run dev` (hot reload): the app together with its
 * embedded defaults, so a fresh checkout runs end to end with no configuration.
 * See scripts/embedded-env.ts for what is embedded and how real services replace it.
 */
import { spawn, spawnSync } from "node:child_process";
import { existsSync, rmSync } from "node:fs";

import { Redis as IORedis } from "ioredis";
import pg from "pg";

import { exitOnInvalidEnv } from "../src/env";
import { embeddedPlan } from "./embedded-env";
import { migrate } from "./db-migrate";
import { serverNodeFlags } from "./server-node-flags";
import { startLocalInngest } from "../dev/local-inngest";
import { startS3rver } from "../dev/s3rver";
import { startSmtpCatcher } from "../dev/smtp-catcher";

const dev = process.argv.includes("--dev");
const log = (line: string) => console.log(`[start] ${line}`);

function fail(message: string): never {
  console.error(`\n[start] ${message}\n`);
  process.exit(1);
}

function redact(url: string) {
  return url.replace(/\/\/([^:/@]+):[^@]*@/, "//$1:***@");
}

async function checkPostgres(url: string) {
  const client = new pg.Client({ connectionString: url.replace(/\/[^/?]*(\?|$)/, "/postgres$1"), connectionTimeoutMillis: 3000 });
  try {
    await client.connect();
  } catch (error) {
    fail(`PostgreSQL is not reachable at ${redact(url)}: ${(error as Error).message}. Start it, or set DATABASE_URL.`);
  } finally {
    await client.end().catch(() => {});
  }
}

async function checkRedis(url: string) {
  const redis = new IORedis(url, { lazyConnect: true, connectTimeout: 3000, maxRetriesPerRequest: 0, retryStrategy: () => null });
  try {
    await redis.connect();
    await redis.ping();
  } catch (error) {
    fail(`Redis is not reachable at ${redact(url)}: ${(error as Error).message}. Start it, or set REDIS_URL or UPSTASH_REDIS_REST_URL.`);
  } finally {
    redis.disconnect();
  }
}

const isLoopback = (host: string) => host === "localhost" || host === "::1" || host.startsWith("127.");
const isWildcard = (host: string) => host === "0.0.0.0" || host === "::";

function run(command: string, args: string[], env: NodeJS.ProcessEnv) {
  const result = spawnSync(command, args, { stdio: "inherit", env });
  if (result.status !== 0) fail(`${command} ${args.join(" ")} failed (exit ${result.status ?? result.signal}).`);
}

async function main() {
  for (const file of [".env.local", ".env"]) if (existsSync(file)) process.loadEnvFile(file);
  const plan = embeddedPlan();
  const env = { ...process.env, ...plan.env };
  const host = env.HOST!;
  // The embedded services reach the app on loopback when it listens on every address.
  const reachableHost = isWildcard(host) || host === "localhost" ? "127.0.0.1" : host.includes(":") ? `[${host}]` : host;
  const appUrl = `http://${reachableHost}:${env.PORT}`;
  // The server's own check (scripts/serve.ts), with the NODE_ENV it will run in, made before
  // minutes of migrating and building rather than after.
  exitOnInvalidEnv({ ...env, NODE_ENV: env.NODE_ENV || (dev ? "development" : "production") }, "[start]");

  await checkPostgres(plan.env.DATABASE_URL!);
  if (plan.env.REDIS_URL) await checkRedis(plan.env.REDIS_URL);

  const applied = await migrate(plan.env.DATABASE_URL!, (line) => log(`migration ${line}`));
  log(applied.length ? `database migrated (${applied.length} new)` : "database is up to date");
  run("npx", ["tsx", "prisma/seed.ts"], env);

  const closers: Array<() => Promise<void>> = [];
  if (plan.s3rver) {
    const s3 = await startS3rver(plan.s3rver);
    closers.push(s3.close);
    log(`embedded S3 (s3rver) on ${s3.endpoint}, files in ${plan.s3rver.directory}`);
  }
  if (plan.smtpCatcher) {
    const catcher = await startSmtpCatcher({ ...plan.smtpCatcher, log: (line) => log(`email ${line}`) });
    closers.push(catcher.close);
    log(`SMTP catcher on ${catcher.smtpUrl}: email is caught, not delivered; read it at ${catcher.webUrl}/`);
  }
  if (plan.inngest) {
    const executor = await startLocalInngest({
      port: plan.inngest.port,
      host: "127.0.0.1",
      dataDir: plan.inngest.dataDir,
      appUrls: [`${appUrl}/api/inngest`],
      signingKey: plan.env.INNGEST_SIGNING_KEY!,
      eventKey: plan.env.INNGEST_EVENT_KEY!,
    });
    closers.push(executor.close);
    log(`local Inngest executor on ${executor.url}, signing its calls to the app; its dashboard (no login: keep it on this machine) at ${executor.url}/`);
  } else if (plan.inngestDevMode) {
    log(
      "WARNING: INNGEST_DEV is set, so the Inngest SDK is in dev mode and /api/inngest runs steps for unsigned calls: " +
        "anyone who can reach the app can run export steps with forged inputs. Use it only with `npx inngest-cli@latest dev` " +
        "on a machine of your own; the embedded executor is off. Unset INNGEST_DEV to run signed.",
    );
  }

  if (!dev) {
    // A stale dev build would be served as is otherwise.
    rmSync(".next/BUILD_ID", { force: true });
    run("npx", ["next", "build"], env);
  }
  // Next behind the request gate (scripts/serve.ts), not `next start`: see there why.
  const next = spawn("npx", ["tsx", ...serverNodeFlags, "scripts/serve.ts", ...(dev ? ["--dev"] : []), "-p", env.PORT!, "-H", host], { stdio: "inherit", env });
  log(`app starting on http://localhost:${env.PORT}`);
  if (!isLoopback(host)) log(`the app listens on ${host}: other machines can reach it; see HOST in .env.example`);

  let stopping = false;
  const stop = async (code: number) => {
    if (stopping) return;
    stopping = true;
    next.kill("SIGTERM");
    await Promise.allSettled(closers.map((close) => close()));
    process.exit(code);
  };
  process.on("SIGINT", () => void stop(0));
  process.on("SIGTERM", () => void stop(0));
  next.on("exit", (code) => void stop(code ?? 1));
}

main().catch((error: Error) => fail(error.stack ?? error.message));
