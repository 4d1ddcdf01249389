/**
 * The embedded defaults behind `npm start`, `npm run dev` and the end-to-end tests: local
 * PostgreSQL and Redis, s3rver, the local Inngest executor, the SMTP catcher and the local
 * analytics provider.
 * A variable already set in the environment always wins, so the same command runs against
 * real services once they are configured.
 */
import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";

import { newEventKey, newSigningKey } from "../dev/local-inngest/signature";
import { DEFAULT_BUCKET } from "../src/env";

export const LOCAL_DIR = path.resolve(process.env.EXPORT_CENTER_LOCAL_DIR ?? ".local");

const makeSecret = {
  VAULT_KEY: () => randomBytes(32).toString("hex"),
  AUTH_SECRET: () => randomBytes(32).toString("base64url"),
  // The app's SDK verifies every call from the local executor with this key, as it would Inngest's.
  INNGEST_SIGNING_KEY: () => newSigningKey("local"),
  INNGEST_EVENT_KEY: () => newEventKey(),
};
type LocalSecrets = Record<keyof typeof makeSecret, string>;

/**
 * Secrets for local use, made once per checkout so that sessions and credentials survive
 * restarts. A file written before a secret existed gets the missing ones added.
 */
function localSecrets(): LocalSecrets {
  const file = path.join(LOCAL_DIR, "secrets.json");
  const saved = existsSync(file) ? (JSON.parse(readFileSync(file, "utf8")) as Partial<LocalSecrets>) : {};
  const secrets = { ...saved } as LocalSecrets;
  for (const [name, make] of Object.entries(makeSecret) as [keyof LocalSecrets, () => string][]) secrets[name] ||= make();
  if (Object.keys(makeSecret).some((name) => !saved[name as keyof LocalSecrets])) {
    mkdirSync(LOCAL_DIR, { recursive: true });
    writeFileSync(file, JSON.stringify(secrets, null, 2), { mode: 0o600 });
  }
  return secrets;
}

export type EmbeddedPlan = {
  env: Record<string, string>;
  s3rver?: { port: number; directory: string; bucket: string };
  /** The local executor; its keys are the app's, in `env`. */
  inngest?: { port: number; dataDir: string };
  /** The SMTP catcher (dev/smtp-catcher.ts), which EMAIL_SERVER points at: SMTP on `port`, caught messages on `webPort`. */
  smtpCatcher?: { port: number; webPort: number };
  /** INNGEST_DEV is on: the user runs Inngest's dev server, and the SDK checks no signature. */
  inngestDevMode: boolean;
};

/** INNGEST_DEV as the SDK reads it: on for "1", "true" or a dev server's URL; off for "0", "false" or unset. */
function isInngestDevMode(value: string | undefined): boolean {
  const text = value?.trim().toLowerCase() ?? "";
  return text !== "" && text !== "0" && text !== "false" && text !== "undefined";
}

export function embeddedPlan(source: NodeJS.ProcessEnv = process.env): EmbeddedPlan {
  const port = source.PORT ?? "3000";
  const { INNGEST_SIGNING_KEY, INNGEST_EVENT_KEY, ...appSecrets } = localSecrets();
  const env: Record<string, string> = {
    PORT: port,
    // Loopback only: the app is for this machine until HOST says otherwise.
    HOST: "127.0.0.1",
    DATABASE_URL: "postgresql://postgres@127.0.0.1:5432/export_center",
    AUTH_DEV_LOGIN: "true",
    AUTH_TRUST_HOST: "true",
    DATA_SOURCE_ALLOW_PRIVATE_NETWORKS: "true",
    DESTINATIONS_ALLOW_PRIVATE_NETWORKS: "true",
    APP_URL: `http://127.0.0.1:${port}`,
    ...appSecrets,
  };
  const plan: EmbeddedPlan = { env, inngestDevMode: isInngestDevMode(source.INNGEST_DEV) };

  if (!source.UPSTASH_REDIS_REST_URL) env.REDIS_URL = "redis://127.0.0.1:6379/0";

  if (!source.R2_ACCOUNT_ID && !source.S3_ENDPOINT) {
    const s3Port = Number(source.S3RVER_PORT ?? 4569);
    plan.s3rver = { port: s3Port, directory: path.join(LOCAL_DIR, "s3"), bucket: source.S3_BUCKET ?? DEFAULT_BUCKET };
    Object.assign(env, {
      S3_ENDPOINT: `http://127.0.0.1:${s3Port}`,
      S3_ACCESS_KEY_ID: "S3RVER",
      S3_SECRET_ACCESS_KEY: "S3RVER",
      S3_BUCKET: plan.s3rver.bucket,
      S3_FORCE_PATH_STYLE: "true",
    });
  }

  // No mail server configured: email goes to the catcher, where a developer reads it. It also
  // turns on the email sign-in (src/server/auth/config.ts), whose links land there too.
  if (!source.EMAIL_SERVER) {
    plan.smtpCatcher = { port: Number(source.SMTP_CATCHER_PORT ?? 2525), webPort: Number(source.SMTP_CATCHER_WEB_PORT ?? 8025) };
    Object.assign(env, { EMAIL_SERVER: `smtp://127.0.0.1:${plan.smtpCatcher.port}`, EMAIL_FROM: "Export Center <exports@localhost>" });
  }

  // Another engine is configured: Inngest Cloud (a signing key), `inngest start` (a base URL)
  // or the real dev server (INNGEST_DEV). Otherwise the local executor runs, with the SDK in
  // cloud mode so that it verifies each call's signature.
  const ownEngine = Boolean(source.INNGEST_SIGNING_KEY || source.INNGEST_BASE_URL || plan.inngestDevMode);
  if (!ownEngine) {
    const inngestPort = Number(source.INNGEST_EXECUTOR_PORT ?? 8288);
    plan.inngest = { port: inngestPort, dataDir: path.join(LOCAL_DIR, "inngest-executor") };
    const executorUrl = `http://127.0.0.1:${inngestPort}`;
    // The app links its header to the executor's dashboard (ENGINE_DASHBOARD_URL in src/env.ts).
    Object.assign(env, { INNGEST_BASE_URL: executorUrl, INNGEST_SIGNING_KEY, INNGEST_EVENT_KEY, ENGINE_DASHBOARD_URL: executorUrl });
  }

  // Variables the user set win over every default above.
  for (const key of Object.keys(env)) {
    const own = source[key];
    if (own !== undefined && own !== "") env[key] = own;
  }
  return plan;
}
