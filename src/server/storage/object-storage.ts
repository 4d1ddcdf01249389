/**
 * Object storage for export files: Cloudflare R2 in production, any S3-compatible store
 * (s3rver in development and tests). Files stream in through multipart upload with bounded
 * memory and leave through short-lived presigned links. The bucket stays private.
 */
import type { Readable } from "node:stream";

import {
  CreateBucketCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  HeadBucketCommand,
  HeadObjectCommand,
  PutBucketLifecycleConfigurationCommand,
  S3Client,
} from "@aws-sdk/client-s3";
import { Upload } from "@aws-sdk/lib-storage";
import { getSignedUrl } from "@aws-sdk/s3-request-presigner";

import { AppError } from "~/server/errors";

import { contentDisposition, EXPORTS_PREFIX } from "./file-names";

export type StorageConfig =
  | { kind: "r2"; accountId: string; accessKeyId: string; secretAccessKey: string; bucket: string }
  | { kind: "s3"; endpoint?: string; region: string; accessKeyId: string; secretAccessKey: string; bucket: string; forcePathStyle: boolean };

const PART_SIZE = 8 * 1024 * 1024;

function isNotFound(error: unknown): boolean {
  const e = error as { name?: string; $metadata?: { httpStatusCode?: number } };
  return e.name === "NotFound" || e.name === "NoSuchKey" || e.$metadata?.httpStatusCode === 404;
}

export class ObjectStorage {
  readonly client: S3Client;
  readonly bucket: string;

  constructor(config: StorageConfig) {
    this.bucket = config.bucket;
    this.client =
      config.kind === "r2"
        ? new S3Client({
            region: "auto",
            endpoint: `https://${config.accountId}.r2.cloudflarestorage.com`,
            credentials: { accessKeyId: config.accessKeyId, secretAccessKey: config.secretAccessKey },
          })
        : new S3Client({
            region: config.region,
            endpoint: config.endpoint,
            forcePathStyle: config.forcePathStyle,
            credentials: { accessKeyId: config.accessKeyId, secretAccessKey: config.secretAccessKey },
          });
  }

  /**
   * Streams `body` to `key` as a multipart upload: at most `queueSize` parts of 8 MB are in
   * memory at once. On any failure or abort the multipart upload is aborted, so no object
   * and no orphan part remains.
   */
  async uploadStream(input: { key: string; body: Readable; fileName: string; signal?: AbortSignal }): Promise<void> {
    const upload = new Upload({
      client: this.client,
      params: {
        Bucket: this.bucket,
        Key: input.key,
        Body: input.body,
        ContentType: "text/csv; charset=utf-8",
        ContentDisposition: contentDisposition(input.fileName),
      },
      partSize: PART_SIZE,
      queueSize: 2,
      leavePartsOnError: false,
    });
    // When the body fails (the query, the size cap), that error is the story, not whatever
    // the upload's own clean-up reports after it.
    let bodyError: unknown;
    input.body.once("error", (error) => (bodyError ??= error));
    const onAbort = () => void upload.abort().catch(() => {});
    input.signal?.addEventListener("abort", onAbort, { once: true });
    try {
      await upload.done();
    } catch (error) {
      input.body.destroy();
      await this.deleteObject(input.key).catch(() => {});
      if (input.signal?.aborted) throw input.signal.reason ?? error;
      throw bodyError ?? error;
    } finally {
      input.signal?.removeEventListener("abort", onAbort);
    }
  }

  async presignDownload(key: string, options: { expiresInSeconds: number; fileName: string }) {
    const url = await getSignedUrl(
      this.client,
      new GetObjectCommand({ Bucket: this.bucket, Key: key, ResponseContentDisposition: contentDisposition(options.fileName) }),
      { expiresIn: options.expiresInSeconds },
    );
    return { url, expiresAt: new Date(Date.now() + options.expiresInSeconds * 1000) };
  }

  async headObject(key: string): Promise<{ size: number } | null> {
    try {
      const head = await this.client.send(new HeadObjectCommand({ Bucket: this.bucket, Key: key }));
      return { size: head.ContentLength ?? 0 };
    } catch (error) {
      if (isNotFound(error)) return null;
      throw error;
    }
  }

  async getObjectStream(key: string): Promise<{ body: ReadableStream; size?: number }> {
    try {
      const object = await this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key: key }));
      if (!object.Body) throw new AppError("NOT_FOUND", "The file is gone");
      return { body: object.Body.transformToWebStream(), size: object.ContentLength };
    } catch (error) {
      if (isNotFound(error)) throw new AppError("NOT_FOUND", "The file is gone");
      throw error;
    }
  }

  /** Idempotent: deleting a missing object succeeds. */
  async deleteObject(key: string): Promise<void> {
    try {
      await this.client.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: key }));
    } catch (error) {
      if (!isNotFound(error)) throw error;
    }
  }

  /** For development: create the (private) bucket if it is missing. */
  async ensureBucket(): Promise<void> {
    try {
      await this.client.send(new HeadBucketCommand({ Bucket: this.bucket }));
    } catch (error) {
      if (!isNotFound(error)) throw error;
      await this.client.send(new CreateBucketCommand({ Bucket: this.bucket }));
    }
  }

  /**
   * Expires everything under the exports prefix after `days`: a backstop for the per-export
   * deletion, should a run die between its upload and its clean-up.
   */
  async applyLifecycleRule(days = 1): Promise<void> {
    await this.client.send(
      new PutBucketLifecycleConfigurationCommand({
        Bucket: this.bucket,
        LifecycleConfiguration: {
          Rules: [{ ID: "expire-exports", Status: "Enabled", Filter: { Prefix: EXPORTS_PREFIX }, Expiration: { Days: days } }],
        },
      }),
    );
  }
}
