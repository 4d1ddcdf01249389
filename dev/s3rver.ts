/**
 * Embedded S3 for development and tests: s3rver on 127.0.0.1, with the exports bucket made.
 * It enforces presigned-URL expiry but does not verify signatures, so it proves nothing
 * about signature checks. It has no lifecycle API (501 NotImplemented). Never used in
 * production (set R2_* or S3_* instead).
 *
 * s3rver 3.7.1 also lacks AbortMultipartUpload (it answers 405 and keeps the parts on disk);
 * the handler below adds it, as S3 does it, so that an aborted export leaves nothing behind
 * here either and tests can see that it does not.
 *
 * Its CompleteMultipartUpload pipes every part through an MD5 of the whole object: 0.7 s of a
 * 180 MB export's time, spent after its last row. S3 does not hash the whole object of a
 * multipart upload either (its ETag is the MD5 of the parts' MD5s, then "-<parts>"), so the
 * store's assembly is replaced by one that does as S3 does and appends the parts to the file.
 * It also reads an object in 64 KB chunks, which serve 180 MB in about 0.6 s against 0.3 s in
 * 1 MB ones, so a download reads larger ones.
 *
 *   tsx dev/s3rver.ts --port 4569 --dir .local/s3 --bucket metric-exports
 */
import { createHash } from "node:crypto";
import { createReadStream, existsSync, mkdirSync, readdirSync, ReadStream } from "node:fs";
import { mkdir, open, readFile, rm } from "node:fs/promises";
import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";

import S3rver from "s3rver";

import { DEFAULT_BUCKET } from "../src/env";

export type EmbeddedS3 = {
  endpoint: string;
  port: number;
  /** Ids of multipart uploads started in `bucket` and neither completed nor aborted. */
  pendingUploads(bucket?: string): string[];
  close(): Promise<void>;
};

/** The parts of s3rver (a Koa app) this file reaches into; @types/s3rver does not declare them. */
type KoaContext = { method: string; path: string; query: Record<string, string | string[] | undefined>; status: number; type: string; body: unknown };
type Middleware = (ctx: KoaContext, next: () => Promise<void>) => Promise<void>;
type Store = {
  getResourcePath(bucket: string, key: string | undefined, resource: string): string;
  putMetadata(bucket: string, key: string, metadata: Record<string, string>, md5: string): Promise<void>;
  putObjectMultipart(bucket: string, uploadId: string, parts: { number: number }[]): Promise<{ size: number; md5: string }>;
  getObject(bucket: string, key: string, options?: unknown): Promise<{ content: unknown } | null>;
};
type S3rverInternals = { httpServer: Server; middleware: Middleware[]; store: Store };

// s3rver keeps each multipart upload's parts in `<dir>/<bucket>/._S3rver_uploads/<uploadId>/`.
const uploadsDirectory = (s3: Pick<S3rverInternals, "store">, bucket: string) => s3.store.getResourcePath(bucket, undefined, "uploads");

function abortMultipartUpload(s3: S3rverInternals): Middleware {
  return async (ctx, next) => {
    const uploadId = ctx.query.uploadId;
    const [, bucket] = ctx.path.split("/");
    if (ctx.method !== "DELETE" || typeof uploadId !== "string" || !bucket) return next();
    // Both become a path on disk: accept only what s3rver itself generates.
    if (!/^[0-9a-f]{32}$/.test(uploadId) || !/^[a-z0-9][a-z0-9.-]*$/.test(bucket)) return next();
    const directory = path.join(uploadsDirectory(s3, bucket), uploadId);
    if (!existsSync(directory)) {
      ctx.status = 404;
      ctx.type = "application/xml";
      ctx.body = `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>NoSuchUpload</Code><Message>The specified upload does not exist.</Message><UploadId>${uploadId}</UploadId></Error>`;
      return;
    }
    await rm(directory, { recursive: true, force: true });
    ctx.status = 204;
  };
}

/** The store's assembly of a completed multipart upload, with S3's ETag; the upload's layout on disk is s3rver's. */
function assembleParts(store: Store): Store["putObjectMultipart"] {
  return async (bucket, uploadId, parts) => {
    const directory = path.join(uploadsDirectory({ store }, bucket), uploadId);
    const key = await readFile(path.join(directory, "key"), "utf8");
    const metadata = JSON.parse(await readFile(path.join(directory, "metadata"), "utf8")) as Record<string, string>;
    const objectPath = store.getResourcePath(bucket, key, "object");
    await mkdir(path.dirname(objectPath), { recursive: true });
    const ordered = [...parts].sort((a, b) => a.number - b.number);
    const digests: Buffer[] = [];
    let size = 0;
    const object = await open(objectPath, "w");
    try {
      for (const { number } of ordered) {
        const partPath = path.join(directory, String(number));
        digests.push(Buffer.from(await readFile(`${partPath}.md5`, "utf8"), "hex"));
        const bytes = await readFile(partPath);
        await object.writeFile(bytes);
        size += bytes.length;
      }
    } finally {
      await object.close();
    }
    const md5 = `${createHash("md5").update(Buffer.concat(digests)).digest("hex")}-${ordered.length}`;
    await store.putMetadata(bucket, key, { "content-type": "binary/octet-stream", ...metadata }, md5);
    await rm(directory, { recursive: true, force: true });
    return { size, md5 };
  };
}

/** The store's read of an object, with 1 MB chunks for its body rather than 64 KB ones. */
function readInLargeChunks(store: Store): Store["getObject"] {
  const getObject = store.getObject.bind(store);
  return async (bucket, key, options) => {
    const object = await getObject(bucket, key, options);
    if (object?.content instanceof ReadStream) {
      const { path: file, start, end } = object.content as ReadStream & { start?: number; end?: number };
      object.content.destroy();
      object.content = createReadStream(file, { start, end, highWaterMark: 1024 * 1024 });
    }
    return object;
  };
}

export async function startS3rver(options: { port?: number; directory: string; bucket: string }): Promise<EmbeddedS3> {
  mkdirSync(options.directory, { recursive: true });
  const server = new S3rver({
    port: options.port ?? 0,
    address: "127.0.0.1",
    directory: options.directory,
    silent: true,
    configureBuckets: [{ name: options.bucket, configs: [] }],
  });
  const internals = server as unknown as S3rverInternals;
  // Just before s3rver's router (the last middleware), after its logging and XML rendering.
  internals.middleware.splice(internals.middleware.length - 1, 0, abortMultipartUpload(internals));
  internals.store.putObjectMultipart = assembleParts(internals.store);
  internals.store.getObject = readInLargeChunks(internals.store);
  const address = (await server.run()) as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${address.port}`,
    port: address.port,
    pendingUploads(bucket = options.bucket) {
      const directory = uploadsDirectory(internals, bucket);
      return existsSync(directory) ? readdirSync(directory) : [];
    },
    async close() {
      // Keep-alive sockets would otherwise hold close() open indefinitely.
      internals.httpServer.closeAllConnections();
      await server.close();
    },
  };
}

if (process.argv[1] && fileURLToPath(import.meta.url) === path.resolve(process.argv[1])) {
  const { values } = parseArgs({
    options: { port: { type: "string", default: "4569" }, dir: { type: "string", default: ".local/s3" }, bucket: { type: "string", default: DEFAULT_BUCKET } },
  });
  const s3 = await startS3rver({ port: Number(values.port), directory: path.resolve(values.dir), bucket: values.bucket });
  console.log(`s3rver on ${s3.endpoint}, bucket ${values.bucket}, files in ${values.dir}`);
  const stop = () => void s3.close().then(() => process.exit(0));
  process.on("SIGINT", stop);
  process.on("SIGTERM", stop);
}
