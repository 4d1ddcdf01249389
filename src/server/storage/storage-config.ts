/**
 * Where export files go: Cloudflare R2 (production; the original's R2_* settings) or any
 * S3-compatible store (S3_*: AWS, MinIO, the embedded s3rver).
 */
import type { LookupFunction } from "node:net";
import { Agent as HttpAgent } from "node:http";
import { Agent as HttpsAgent } from "node:https";

import { S3Client } from "@aws-sdk/client-s3";
import { NodeHttpHandler } from "@smithy/node-http-handler";

import type { Env } from "~/env";

import { isStorageUnreachable, storageUnavailable } from "./storage-errors";

export type R2StorageConfig = {
  kind: "r2";
  accountId: string;
  accessKeyId: string;
  secretAccessKey: string;
  /** R2_BUCKET, whose default (`metric-exports`, as in the original) env.ts gives. */
  bucket: string;
};

export type S3StorageConfig = {
  kind: "s3";
  /** Omit for AWS S3 itself. */
  endpoint?: string;
  region: string;
  accessKeyId: string;
  secretAccessKey: string;
  bucket: string;
  /** `bucket` in the path rather than the host name: s3rver and most self-hosted stores need it. */
  forcePathStyle?: boolean;
};

export type StorageConfig = R2StorageConfig | S3StorageConfig;

export const r2Endpoint = (accountId: string) => `https://${accountId}.r2.cloudflarestorage.com`;

/** R2 when its three R2_* settings are there, otherwise the S3_* store (S3_BUCKET, or R2_BUCKET's name). */
export function storageConfigFromEnv(env: Env): StorageConfig {
  if (env.R2_ACCOUNT_ID && env.R2_ACCESS_KEY_ID && env.R2_SECRET_ACCESS_KEY) {
    return { kind: "r2", accountId: env.R2_ACCOUNT_ID, accessKeyId: env.R2_ACCESS_KEY_ID, secretAccessKey: env.R2_SECRET_ACCESS_KEY, bucket: env.R2_BUCKET };
  }
  return {
    kind: "s3",
    endpoint: env.S3_ENDPOINT,
    region: env.S3_REGION,
    accessKeyId: env.S3_ACCESS_KEY_ID ?? "",
    secretAccessKey: env.S3_SECRET_ACCESS_KEY ?? "",
    bucket: env.S3_BUCKET ?? env.R2_BUCKET,
    forcePathStyle: env.S3_FORCE_PATH_STYLE,
  };
}

export type S3ClientOptions = {
  /**
   * Tries per request, the SDK's standard retries with their jittered back-off (3 unless
   * told). One for a caller that retries the call itself, so that each call is retried by
   * exactly one layer.
   */
  maxAttempts?: number;
  /**
   * How every connection resolves the store's host, instead of the system resolver: a
   * customer's bucket connects only to addresses its network policy passed. TLS still names
   * the host (SNI and certificate), since only the address is looked up here.
   */
  lookup?: LookupFunction;
};

export function createS3Client(config: StorageConfig, { maxAttempts = 3, lookup }: S3ClientOptions = {}): S3Client {
  const credentials = { accessKeyId: config.accessKeyId, secretAccessKey: config.secretAccessKey };
  // Since 3.729 the SDK adds CRC32 checksums to every upload by default; R2 and most other
  // S3-compatible stores reject or mishandle them, so checksums go only where S3 requires one.
  const checksums = { requestChecksumCalculation: "WHEN_REQUIRED", responseChecksumValidation: "WHEN_REQUIRED" } as const;
  // Without timeouts a store that drops packets holds a request for the OS's TCP timeout
  // (minutes), and one that accepts but never answers holds it for ever. A store that is up
  // connects within 5 s and answers within 60 s (a 5 MB part at 85 KB/s); a body being
  // downloaded is not limited, since the timer stops at the answer's headers.
  const timeouts = { connectionTimeout: 5_000, requestTimeout: 60_000, throwOnRequestTimeout: true };
  // The SDK's own agents are keep-alive with 50 sockets; these are the same, with the lookup.
  const agent = { keepAlive: true, maxSockets: 50, lookup };
  const requestHandler = lookup ? new NodeHttpHandler({ ...timeouts, httpAgent: new HttpAgent(agent), httpsAgent: new HttpsAgent(agent) }) : timeouts;
  const common = { credentials, requestHandler, maxAttempts, ...checksums };
  const client =
    config.kind === "r2"
      ? new S3Client({ region: "auto", endpoint: r2Endpoint(config.accountId), ...common })
      : new S3Client({ region: config.region, endpoint: config.endpoint, forcePathStyle: config.forcePathStyle ?? false, ...common });
  // Outermost, so that it sees every failure as the caller will.
  client.middlewareStack.add(
    (next, context) => async (args) => {
      try {
        return await next(args);
      } catch (error) {
        if (isStorageUnreachable(error)) throw storageUnavailable(error, String(context.commandName));
        throw error;
      }
    },
    { step: "initialize", name: "mapUnreachableStorage", priority: "high" },
  );
  return client;
}
