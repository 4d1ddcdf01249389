/**
 * What every benchmark's app runs with, whichever way it is started (a compiled worker,
 * bench-runtime.ts, or the built app, app-runtime.ts): its databases and Redis from BENCH_*
 * variables, s3rver as storage and the local executor as engine, with signed calls as in
 * production, since their HMAC is part of what is measured.
 */
import { newEventKey, newSigningKey } from "../../dev/local-inngest/signature";

export function benchDatabases() {
  const databaseUrl = process.env.BENCH_DATABASE_URL ?? "postgresql://postgres@127.0.0.1:5432/export_center_bench";
  // The benchmark's rows live in a database of their own: no data source may be the app's database.
  const sourceUrl = new URL(databaseUrl);
  sourceUrl.pathname = `${sourceUrl.pathname}_source`;
  return { databaseUrl, sourceDatabaseUrl: sourceUrl.toString() };
}

export function benchEnv(services: { appUrl: string; s3Endpoint: string; executorUrl: string }): NodeJS.ProcessEnv {
  return {
    ...process.env,
    NODE_ENV: "production",
    DATABASE_URL: benchDatabases().databaseUrl,
    REDIS_URL: process.env.BENCH_REDIS_URL ?? process.env.REDIS_URL ?? "redis://127.0.0.1:6379/6",
    VAULT_KEY: "b".repeat(64),
    AUTH_SECRET: "bench-secret-bench-secret",
    AUTH_URL: services.appUrl,
    S3_ENDPOINT: services.s3Endpoint,
    S3_ACCESS_KEY_ID: "S3RVER",
    S3_SECRET_ACCESS_KEY: "S3RVER",
    S3_BUCKET: "bench-exports",
    S3_FORCE_PATH_STYLE: "true",
    INNGEST_SIGNING_KEY: newSigningKey("bench"),
    INNGEST_EVENT_KEY: newEventKey(),
    INNGEST_BASE_URL: services.executorUrl,
    // The source database is on this machine, which production refuses by default.
    DATA_SOURCE_ALLOW_PRIVATE_NETWORKS: "true",
  };
}
