/**
 * Where export files go: Cloudflare R2 (production; the original's R2_* settings) or any
 * S3-compatible store (S3_*: AWS, MinIO, the embedded s3rver).
 */
import { S3Client } from "@aws-sdk/client-s3";

export const DEFAULT_R2_BUCKET = "metric-exports";

export type R2StorageConfig = {
  kind: "r2";
  accountId: string;
  accessKeyId: string;
  secretAccessKey: string;
  /** Defaults to `metric-exports`, as in the original. */
  bucket?: string;
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

export function bucketOf(config: StorageConfig): string {
  return config.kind === "r2" ? (config.bucket ?? DEFAULT_R2_BUCKET) : config.bucket;
}

export function createS3Client(config: StorageConfig): S3Client {
  const credentials = { accessKeyId: config.accessKeyId, secretAccessKey: config.secretAccessKey };
  // Since 3.729 the SDK adds CRC32 checksums to every upload by default; R2 and most other
  // S3-compatible stores reject or mishandle them, so checksums go only where S3 requires one.
  const checksums = { requestChecksumCalculation: "WHEN_REQUIRED", responseChecksumValidation: "WHEN_REQUIRED" } as const;
  return config.kind === "r2"
    ? new S3Client({ region: "auto", endpoint: r2Endpoint(config.accountId), credentials, ...checksums })
    : new S3Client({ region: config.region, endpoint: config.endpoint, forcePathStyle: config.forcePathStyle ?? false, credentials, ...checksums });
}
