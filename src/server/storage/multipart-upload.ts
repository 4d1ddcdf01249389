/**
 * Streams a body into one object through S3's multipart API with a fixed set of part
 * buffers, reused from part to part. Memory stays at (queueSize + 1) × partSize whatever the
 * file's size, and makes no garbage: lib-storage's Upload allocates every part anew, and on a
 * 180 MB export those dead 8 MB buffers added some 40 MB to the worker's peak before V8
 * collected them. A body smaller than one part goes up in a single PUT.
 *
 * On any failure (the body's, a part's, an abort) the parts in flight settle first, then the
 * multipart upload is aborted, so no part outlives the call; the first failure is rethrown.
 * Each multipart upload is in the open-upload index from its first part until it completes
 * or is aborted, so that one this process never finishes (it was killed, or storage went
 * down before the abort) is found and aborted by the storage sweep.
 */
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  type CompletedPart,
  CreateMultipartUploadCommand,
  PutObjectCommand,
  type S3Client,
  UploadPartCommand,
} from "@aws-sdk/client-s3";

import { log } from "~/server/log";

import type { OpenUpload, OpenUploadIndex } from "./open-upload-index";

export interface UploadTarget {
  Bucket: string;
  Key: string;
  ContentType?: string;
  ContentDisposition?: string;
}

export interface PartOptions {
  partSize: number;
  /** Parts uploading at once, while the next one fills. */
  queueSize: number;
  /** Cancels the requests in flight; the caller stops the body. */
  signal?: AbortSignal;
  /** Where open uploads are recorded, for the storage sweep. */
  openUploads?: OpenUploadIndex;
}

/**
 * A part's SigV4 signature leaves its body out (UNSIGNED-PAYLOAD), as the SDK itself does for a
 * streamed body: hashing every byte with SHA-256 cost the server 0.25 s of CPU a 180 MB export.
 * The signature still covers the request and its headers, and TLS the body's integrity.
 */
function withUnsignedPayload(command: UploadPartCommand): UploadPartCommand {
  command.middlewareStack.add(
    (next) => (args) => {
      (args.request as { headers: Record<string, string> }).headers["x-amz-content-sha256"] = "UNSIGNED-PAYLOAD";
      return next(args);
    },
    { step: "build", name: "unsignedPayload" },
  );
  return command;
}

/** Uploads `body` to `target` and returns its size in bytes. */
export async function uploadInParts(
  client: S3Client,
  target: UploadTarget,
  body: AsyncIterable<Uint8Array | string>,
  options: PartOptions,
): Promise<number> {
  const { partSize, queueSize, signal, openUploads } = options;
  const spare: Buffer[] = [];
  let part: Buffer = Buffer.allocUnsafe(partSize);
  const inFlight = new Set<Promise<void>>();
  const parts: CompletedPart[] = [];
  let uploadId: string | undefined;
  let partNumber = 0;
  let partFailure: { error: unknown } | undefined;
  let filled = 0;
  let size = 0;

  /** Best effort: an entry left behind costs the sweep one AbortMultipartUpload answered NoSuchUpload. */
  const dropFromIndex = (upload: OpenUpload) =>
    openUploads?.remove(upload).catch((error: unknown) =>
      log("warn", "storage.open_upload_index_failed", { key: upload.key, error: error instanceof Error ? error.message : String(error) }),
    );

  const sendPart = async (buffer: Buffer, length: number) => {
    if (uploadId === undefined) {
      uploadId = (await client.send(new CreateMultipartUploadCommand(target), { abortSignal: signal })).UploadId;
      if (uploadId === undefined) throw new Error("The store started a multipart upload without an UploadId");
      await openUploads?.add({ key: target.Key, uploadId }, new Date());
    }
    const PartNumber = ++partNumber;
    const command = withUnsignedPayload(
      new UploadPartCommand({ Bucket: target.Bucket, Key: target.Key, UploadId: uploadId, PartNumber, Body: buffer.subarray(0, length) }),
    );
    const upload = client
      .send(command, { abortSignal: signal })
      .then(
        ({ ETag }) => {
          parts.push({ PartNumber, ETag });
          spare.push(buffer);
        },
        (error: unknown) => {
          partFailure ??= { error };
        },
      )
      .finally(() => inFlight.delete(upload));
    inFlight.add(upload);
  };

  /** The next empty part buffer: a spare one, a new one while the pool is not full, or the first one freed. */
  const nextBuffer = async (): Promise<Buffer> => {
    while (spare.length === 0 && inFlight.size >= queueSize) await Promise.race(inFlight);
    if (partFailure) throw partFailure.error;
    return spare.pop() ?? Buffer.allocUnsafe(partSize);
  };

  try {
    for await (const input of body) {
      const chunk = typeof input === "string" ? Buffer.from(input, "utf8") : input;
      size += chunk.length;
      let offset = 0;
      while (offset < chunk.length) {
        const take = Math.min(partSize - filled, chunk.length - offset);
        part.set(chunk.subarray(offset, offset + take), filled);
        filled += take;
        offset += take;
        if (filled === partSize) {
          await sendPart(part, filled);
          part = await nextBuffer();
          filled = 0;
        }
      }
    }
    if (uploadId === undefined) {
      await client.send(new PutObjectCommand({ ...target, Body: part.subarray(0, filled) }), { abortSignal: signal });
      return size;
    }
    if (filled > 0) await sendPart(part, filled);
    await Promise.all(inFlight);
    if (partFailure) throw partFailure.error;
    parts.sort((a, b) => a.PartNumber! - b.PartNumber!);
    await client.send(
      new CompleteMultipartUploadCommand({ Bucket: target.Bucket, Key: target.Key, UploadId: uploadId, MultipartUpload: { Parts: parts } }),
      { abortSignal: signal },
    );
    await dropFromIndex({ key: target.Key, uploadId });
    return size;
  } catch (error) {
    await Promise.allSettled(inFlight);
    if (uploadId !== undefined) {
      const upload = { key: target.Key, uploadId };
      await client.send(new AbortMultipartUploadCommand({ Bucket: target.Bucket, Key: target.Key, UploadId: uploadId })).then(
        () => dropFromIndex(upload),
        (abortError: unknown) =>
          // The upload stays in the open-upload index, for the storage sweep to abort later.
          log("warn", "storage.upload_cleanup_failed", {
            key: target.Key,
            error: abortError instanceof Error ? abortError.message : String(abortError),
          }),
      );
    }
    throw error;
  }
}
