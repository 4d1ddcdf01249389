/**
 * Direct access to the services behind the app under test, so a test can check what a user
 * cannot see: the source data, the bucket, running queries. Addresses as in playwright.config.ts.
 */
import { ListObjectsV2Command, S3Client } from "@aws-sdk/client-s3";
import { parse } from "csv-parse/sync";
import { readFile } from "node:fs/promises";
import { gunzipSync } from "node:zlib";
import IORedis from "ioredis";
import pg from "pg";
import type { Download } from "@playwright/test";

import type { CaughtMessage } from "../../dev/smtp-catcher";
import { e2eEnv } from "../../playwright.config";
import { defaultDemoPostgresUrl } from "../../prisma/demo/demo-databases";

// The SDK's notice that it will need Node 22 next year says nothing about the app under test.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= "true";

// scripts/embedded-env.ts's default bucket, which the end-to-end environment does not override.
const BUCKET = "metric-exports";

async function queryAt<T extends pg.QueryResultRow>(url: string, sql: string, params: unknown[]): Promise<T[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query<T>(sql, params)).rows;
  } finally {
    await client.end();
  }
}

/** A query on the app's own database. */
export function query<T extends pg.QueryResultRow>(sql: string, params: unknown[] = []): Promise<T[]> {
  return queryAt<T>(e2eEnv.DATABASE_URL, sql, params);
}

/** A query on the demo sources' database (prisma/demo/demo-databases.ts), where the demo metrics run. */
export function queryDemo<T extends pg.QueryResultRow>(sql: string, params: unknown[] = []): Promise<T[]> {
  return queryAt<T>(defaultDemoPostgresUrl(e2eEnv.DATABASE_URL), sql, params);
}

/** The keys of the embedded s3rver bucket's objects under a prefix. */
export async function listObjects(prefix: string): Promise<string[]> {
  const s3 = new S3Client({
    endpoint: `http://127.0.0.1:${e2eEnv.S3RVER_PORT}`,
    region: "us-east-1",
    forcePathStyle: true,
    credentials: { accessKeyId: "S3RVER", secretAccessKey: "S3RVER" },
  });
  try {
    const listed = await s3.send(new ListObjectsV2Command({ Bucket: BUCKET, Prefix: prefix }));
    return (listed.Contents ?? []).map((o) => o.Key!);
  } finally {
    s3.destroy();
  }
}

/** One field of a job's Redis hash (`export_job:<id>`), which keeps what the API does not show, such as the storage key. */
export async function jobField(exportId: string, field: string): Promise<string | null> {
  const redis = new IORedis(e2eEnv.REDIS_URL, { lazyConnect: true });
  try {
    await redis.connect();
    return await redis.hget(`export_job:${exportId}`, field);
  } finally {
    redis.disconnect();
  }
}

/** How many jobs a team's list in Redis holds (`export_jobs:team:<id>`). */
export async function jobCount(teamId: string): Promise<number> {
  const redis = new IORedis(e2eEnv.REDIS_URL, { lazyConnect: true });
  try {
    await redis.connect();
    return await redis.zcard(`export_jobs:team:${teamId}`);
  } finally {
    redis.disconnect();
  }
}

/** A downloaded CSV's records, keyed by its header row. */
export async function readCsv(download: Download): Promise<Record<string, string>[]> {
  return parseCsv(await readFile(await download.path()));
}

/** A downloaded `.csv.gz`, as saved: the gzip bytes themselves (gzip's magic number first), and the CSV records inside. */
export async function readGzippedCsv(download: Download): Promise<{ magic: number[]; records: Record<string, string>[] }> {
  const bytes = await readFile(await download.path());
  return { magic: [...bytes.subarray(0, 2)], records: parseCsv(gunzipSync(bytes)) };
}

function parseCsv(bytes: Buffer): Record<string, string>[] {
  return parse(bytes, { columns: true, bom: true }) as Record<string, string>[];
}

/** The messages the suite's SMTP catcher caught (dev/smtp-catcher.ts), newest first, read from its API as a developer would. */
export async function caughtEmails(): Promise<CaughtMessage[]> {
  const response = await fetch(`http://127.0.0.1:${e2eEnv.SMTP_CATCHER_WEB_PORT}/messages`);
  if (!response.ok) throw new Error(`the SMTP catcher answered ${response.status}`);
  return (await response.json()) as CaughtMessage[];
}
