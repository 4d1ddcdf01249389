/**
 * The embedded defaults behind `npm start`, `npm run dev` and the end-to-end tests: local
 * PostgreSQL and Redis, s3rver, the local Inngest executor and the local analytics provider.
 * A variable already set in the environment always wins, so the same command runs against
 * real services once they are configured.
 */
import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";

export const LOCAL_DIR = path.resolve(process.env.EXPORT_CENTER_LOCAL_DIR ?? ".local");

/** Secrets for local use, made once per checkout so that sessions and credentials survive restarts. */
function localSecrets(): { VAULT_KEY: string; AUTH_SECRET: string } {
  const file = path.join(LOCAL_DIR, "secrets.json");
  if (existsSync(file)) return JSON.parse(readFileSync(file, "utf8")) as { VAULT_KEY: string; AUTH_SECRET: string };
  const secrets = { VAULT_KEY: randomBytes(32).toString("hex"), AUTH_SECRET: randomBytes(32).toString("base64url") };
  mkdirSync(LOCAL_DIR, { recursive: true });
  writeFileSync(file, JSON.stringify(secrets, null, 2), { mode: 0o600 });
  return secrets;
}

export type EmbeddedPlan = {
  env: Record<string, string>;
  s3rver?: { port: number; directory: string; bucket: string };
  inngest?: { port: number; dataDir: string };
};

export function embeddedPlan(source: NodeJS.ProcessEnv = process.env): EmbeddedPlan {
  const port = source.PORT ?? "3000";
  const env: Record<string, string> = {
    PORT: port,
    DATABASE_URL: "postgresql://postgres@127.0.0.1:5432/export_center",
    AUTH_DEV_LOGIN: "true",
    AUTH_TRUST_HOST: "true",
    DATA_SOURCE_ALLOW_PRIVATE_NETWORKS: "true",
    ...localSecrets(),
  };
  const plan: EmbeddedPlan = { env };

  if (!source.UPSTASH_REDIS_REST_URL) env.REDIS_URL = "redis://127.0.0.1:6379/0";

  if (!source.R2_ACCOUNT_ID && !source.S3_ENDPOINT) {
    const s3Port = Number(source.S3RVER_PORT ?? 4569);
    plan.s3rver = { port: s3Port, directory: path.join(LOCAL_DIR, "s3"), bucket: source.S3_BUCKET ?? "metric-exports" };
    Object.assign(env, {
      S3_ENDPOINT: `http://127.0.0.1:${s3Port}`,
      S3_ACCESS_KEY_ID: "S3RVER",
      S3_SECRET_ACCESS_KEY: "S3RVER",
      S3_BUCKET: plan.s3rver.bucket,
      S3_FORCE_PATH_STYLE: "true",
    });
  }

  if (!source.INNGEST_SIGNING_KEY && !source.INNGEST_BASE_URL) {
    const inngestPort = Number(source.INNGEST_EXECUTOR_PORT ?? 8288);
    plan.inngest = { port: inngestPort, dataDir: path.join(LOCAL_DIR, "inngest-executor") };
    Object.assign(env, { INNGEST_DEV: "1", INNGEST_BASE_URL: `http://127.0.0.1:${inngestPort}` });
  }

  // Variables the user set win over every default above.
  for (const key of Object.keys(env)) {
    const own = source[key];
    if (own !== undefined && own !== "") env[key] = own;
  }
  return plan;
}
