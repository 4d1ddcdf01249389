/**
 * Object storage for export files. Files stream in through a multipart upload with bounded
 * memory and leave through short-lived presigned links. The bucket stays private: nothing
 * here sets an ACL or a bucket policy.
 */
import { Readable } from "node:stream";

import {
  AbortMultipartUploadCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutBucketLifecycleConfigurationCommand,
  type S3Client,
} from "@aws-sdk/client-s3";
import { getSignedUrl } from "@aws-sdk/s3-request-presigner";

import { AppError } from "~/server/errors";

import { contentDisposition, EXPORTS_PREFIX } from "./file-names";
import { uploadInParts } from "./multipart-upload";
import type { OpenUpload, OpenUploadIndex } from "./open-upload-index";
import { createS3Client, type S3ClientOptions, type StorageConfig } from "./storage-config";

/** 5 MB parts (S3's smallest), 2 in flight while a third fills: 15 MB of buffers per upload, whatever the file size. */
export const PART_SIZE = 5 * 1024 * 1024;
const QUEUE_SIZE = 2;
/** SigV4 presigned URLs live at most 7 days. */
const MAX_LINK_SECONDS = 7 * 24 * 3600;

export type UploadInput = {
  key: string;
  body: Readable | AsyncIterable<Uint8Array | string>;
  contentType?: string;
  /** A full Content-Disposition header; otherwise one is built from `fileName`. */
  contentDisposition?: string;
  fileName?: string;
  /** Aborting stops reading the body, aborts the multipart upload and rejects with the signal's reason. */
  signal?: AbortSignal;
};

export type LifecycleOutcome = { applied: true } | { applied: false; reason: string };

export type StoredObject = { key: string; lastModified: Date };

/** Abandoned multipart uploads go after this, by the lifecycle rule, should the sweep not get there. */
export const ABORT_INCOMPLETE_UPLOADS_AFTER_DAYS = 1;

type S3ErrorShape = { name?: string; Code?: string; $metadata?: { httpStatusCode?: number } };

function isNotFound(error: unknown): boolean {
  const e = error as S3ErrorShape;
  return (
    e?.name === "NotFound" || e?.name === "NoSuchKey" || e?.name === "NoSuchBucket" || e?.name === "NoSuchUpload" || e?.$metadata?.httpStatusCode === 404
  );
}

function abortReason(signal: AbortSignal): unknown {
  return signal.reason ?? Object.assign(new Error("The upload was aborted"), { name: "AbortError" });
}

export class ObjectStorage {
  readonly client: S3Client;
  readonly bucket: string;
  private readonly openUploads?: OpenUploadIndex;

  /**
   * With `openUploads`, every multipart upload is recorded there until it completes or is
   * aborted. `maxAttempts` and `lookup` shape the client (storage-config.ts).
   */
  constructor(config: StorageConfig, options: { openUploads?: OpenUploadIndex } & S3ClientOptions = {}) {
    this.bucket = config.bucket;
    this.client = createS3Client(config, options);
    this.openUploads = options.openUploads;
  }

  /**
   * Streams `body` to `key`: a multipart upload of 5 MB parts, or one PUT below that. On any
   * failure or abort the body is destroyed (releasing, say, a database cursor), the multipart
   * upload is aborted before this returns, and no object is left. Returns the bytes written.
   */
  async uploadStream(input: UploadInput): Promise<{ size: number }> {
    const { signal } = input;
    if (signal?.aborted) throw abortReason(signal);
    const body = input.body instanceof Readable ? input.body : Readable.from(input.body);
    // Destroying the body ends the upload's read loop with the signal's reason at once.
    const onAbort = () => body.destroy(abortReason(signal!) as Error);
    signal?.addEventListener("abort", onAbort, { once: true });
    try {
      const target = {
        Bucket: this.bucket,
        Key: input.key,
        ContentType: input.contentType ?? "text/csv; charset=utf-8",
        ContentDisposition: input.contentDisposition ?? (input.fileName ? contentDisposition(input.fileName) : undefined),
      };
      const size = await uploadInParts(this.client, target, body, { partSize: PART_SIZE, queueSize: QUEUE_SIZE, signal, openUploads: this.openUploads });
      // Aborted after the last byte was read: the object exists but nobody wants it.
      if (signal?.aborted) throw abortReason(signal);
      return { size };
    } catch (error) {
      body.destroy();
      await this.deleteObject(input.key).catch(() => {});
      if (signal?.aborted) throw abortReason(signal);
      throw error;
    } finally {
      signal?.removeEventListener("abort", onAbort);
    }
  }

  /**
   * A GET link valid for `expiresInSeconds` (60 by default) that downloads as an attachment.
   * Signing needs no request, but the object is looked up first, so that a link that cannot
   * work is never handed out: NOT_FOUND when the file is gone, STORAGE_UNAVAILABLE when the
   * store is down.
   */
  async presignDownload(key: string, options: { expiresInSeconds?: number; fileName?: string } = {}): Promise<{ url: string; expiresAt: Date }> {
    const expiresIn = options.expiresInSeconds ?? 60;
    if (!Number.isInteger(expiresIn) || expiresIn < 1 || expiresIn > MAX_LINK_SECONDS) {
      throw new AppError("INTERNAL", `A download link lives 1 to ${MAX_LINK_SECONDS} seconds, not ${expiresIn}`);
    }
    if (!(await this.headObject(key))) throw new AppError("NOT_FOUND", "The file is gone");
    const fileName = options.fileName ?? key.split("/").pop() ?? "export.csv";
    const expiresAt = new Date(Date.now() + expiresIn * 1000);
    const url = await getSignedUrl(
      this.client,
      new GetObjectCommand({ Bucket: this.bucket, Key: key, ResponseContentDisposition: contentDisposition(fileName) }),
      { expiresIn },
    );
    return { url, expiresAt };
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

  /** The object's bytes as a stream, for copying it elsewhere; NOT_FOUND when it is gone. */
  async openObject(key: string, signal?: AbortSignal): Promise<{ body: Readable; size: number }> {
    try {
      const object = await this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key: key }), { abortSignal: signal });
      return { body: object.Body as Readable, size: object.ContentLength ?? 0 };
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

  /** Every object under `prefix`, a page of the listing at a time. */
  async *listObjects(prefix: string): AsyncGenerator<StoredObject> {
    let ContinuationToken: string | undefined;
    do {
      const page = await this.client.send(new ListObjectsV2Command({ Bucket: this.bucket, Prefix: prefix, ContinuationToken }));
      for (const object of page.Contents ?? []) {
        if (object.Key && object.LastModified) yield { key: object.Key, lastModified: object.LastModified };
      }
      ContinuationToken = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (ContinuationToken);
  }

  /**
   * Discards an open multipart upload and its parts; false if there was none. Idempotent: an
   * upload already completed or aborted is not an error.
   */
  async abortUpload(upload: OpenUpload): Promise<boolean> {
    try {
      await this.client.send(new AbortMultipartUploadCommand({ Bucket: this.bucket, Key: upload.key, UploadId: upload.uploadId }));
      return true;
    } catch (error) {
      if (isNotFound(error)) return false;
      throw error;
    }
  }

  /** Aborts every open upload to `key` that the index knows of (a killed producer's); returns how many. */
  async abortOpenUploads(key: string): Promise<number> {
    if (!this.openUploads) return 0;
    let aborted = 0;
    for (const upload of await this.openUploads.forKey(key)) {
      if (await this.abortUpload(upload)) aborted += 1;
      await this.openUploads.remove(upload);
    }
    return aborted;
  }

  /**
   * Expires objects under `prefix` after `days` (and abandoned multipart uploads after one day):
   * the backstop for the per-export deletion, should a run die between its upload and its
   * clean-up. Replaces the bucket's lifecycle configuration. A store without lifecycle support
   * (s3rver answers 501 NotImplemented) is reported, not thrown.
   */
  async applyLifecycleRule(options: { prefix?: string; days?: number } | number = {}): Promise<LifecycleOutcome> {
    const { prefix = EXPORTS_PREFIX, days = 1 } = typeof options === "number" ? { days: options } : options;
    if (!Number.isInteger(days) || days < 1) throw new AppError("INTERNAL", `Lifecycle expiry is a whole number of days ≥ 1, not ${days}`);
    try {
      await this.client.send(
        new PutBucketLifecycleConfigurationCommand({
          Bucket: this.bucket,
          LifecycleConfiguration: {
            Rules: [
              {
                ID: "expire-exports",
                Status: "Enabled",
                Filter: { Prefix: prefix },
                Expiration: { Days: days },
                AbortIncompleteMultipartUpload: { DaysAfterInitiation: ABORT_INCOMPLETE_UPLOADS_AFTER_DAYS },
              },
            ],
          },
        }),
      );
      return { applied: true };
    } catch (error) {
      const e = error as S3ErrorShape;
      if (e.name === "NotImplemented" || e.$metadata?.httpStatusCode === 501) {
        return { applied: false, reason: `The storage does not support lifecycle rules (${e.name ?? "501"})` };
      }
      throw error;
    }
  }
}
