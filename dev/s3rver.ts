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
 * Its multipart upload wrote every part to a file of its own, then at Complete copied them all
 * into the object through an MD5 of the whole of it: about 0.8 s of a 180 MB export's time,
 * spent after its last row. Here the parts go into one data file of the upload, each at its own
 * region, and Complete renames that file to the object when the parts lie in it in order, as
 * they do when a client sends them one after another; only otherwise are they copied. The ETag
 * is S3's, which does not hash the whole object either: the MD5 of the parts' MD5s, then
 * "-<parts>". It also reads an object in 64 KB chunks, which serve 180 MB in about 0.6 s against
 * 0.3 s in 1 MB ones, so a download reads larger ones.
 *
 *   tsx dev/s3rver.ts --port 4569 --dir .local/s3 --bucket metric-exports
 */
import { createHash } from "node:crypto";
import { constants, createReadStream, existsSync, mkdirSync, readdirSync, ReadStream, statSync } from "node:fs";
import { mkdir, open, readFile, rename, rm, stat, writeFile } from "node:fs/promises";
import type { IncomingMessage, Server } from "node:http";
import { createRequire } from "node:module";
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
  putPart(bucket: string, uploadId: string, partNumber: string, content: IncomingMessage): Promise<{ size: number; md5: string }>;
  putObjectMultipart(bucket: string, uploadId: string, parts: { number: number }[]): Promise<{ size: number; md5: string }>;
  getObject(bucket: string, key: string, options?: unknown): Promise<{ content: unknown } | null>;
};
/** s3rver's own error class, which its error handler renders as S3's XML error with the code's status. */
const S3Error = createRequire(import.meta.url)("s3rver/lib/models/error") as new (code: string, message: string, detail?: Record<string, unknown>) => Error;
type S3rverInternals = { httpServer: Server; middleware: Middleware[]; store: Store };

// s3rver keeps each multipart upload's parts in `<dir>/<bucket>/._S3rver_uploads/<uploadId>/`.
const uploadsDirectory = (s3: Pick<S3rverInternals, "store">, bucket: string) => s3.store.getResourcePath(bucket, undefined, "uploads");

// s3rver makes these from the client's query string: only what it generates becomes a path.
const isUploadId = (uploadId: string) => /^[0-9a-f]{32}$/.test(uploadId);

const noSuchUpload = (uploadId: string) => new S3Error("NoSuchUpload", "The specified upload does not exist.", { UploadId: uploadId });

function abortMultipartUpload(s3: S3rverInternals, dataEnds: DataEnds): Middleware {
  return async (ctx, next) => {
    const uploadId = ctx.query.uploadId;
    const [, bucket] = ctx.path.split("/");
    if (ctx.method !== "DELETE" || typeof uploadId !== "string" || !bucket) return next();
    if (!isUploadId(uploadId) || !/^[a-z0-9][a-z0-9.-]*$/.test(bucket)) return next();
    const directory = path.join(uploadsDirectory(s3, bucket), uploadId);
    if (!existsSync(directory)) throw noSuchUpload(uploadId);
    await rm(directory, { recursive: true, force: true });
    dataEnds.delete(directory);
    ctx.status = 204;
  };
}

// Each upload's parts go into one data file, `<upload>/data`, each at the region it reserved when
// its request arrived (its Content-Length), with `<upload>/<part>.json` saying where it lies.
type PartEntry = { offset: number; size: number; md5: string };
/** Where the next part of each upload (by its directory) goes in its data file. */
type DataEnds = Map<string, number>;
const WRITE_BATCH_BYTES = 1024 * 1024;

function sizeOnDisk(file: string): number {
  return existsSync(file) ? statSync(file).size : 0;
}

/**
 * The store's write of one part: its bytes at the next free region of the upload's data file,
 * written in 1 MB batches rather than chunk by chunk. The region is reserved before anything is
 * awaited, so parts arriving at once never overlap; a data file left by an earlier process is
 * extended.
 */
function writePartIntoUploadData(store: Store, dataEnds: DataEnds): Store["putPart"] {
  return async (bucket, uploadId, partNumber, content) => {
    const declared = Number(content.headers["content-length"]);
    if (!Number.isSafeInteger(declared) || declared < 0) throw new S3Error("MissingContentLength", "You must provide the Content-Length HTTP header.");
    if (!/^[1-9][0-9]{0,4}$/.test(partNumber) || Number(partNumber) > 10_000) {
      throw new S3Error("InvalidArgument", "Part number must be an integer between 1 and 10000, inclusive.", { ArgumentName: "partNumber", ArgumentValue: partNumber });
    }
    const directory = path.join(uploadsDirectory({ store }, bucket), uploadId);
    if (!isUploadId(uploadId) || !existsSync(directory)) throw noSuchUpload(uploadId);
    const dataPath = path.join(directory, "data");
    const offset = dataEnds.get(directory) ?? sizeOnDisk(dataPath);
    dataEnds.set(directory, offset + declared);
    // Not "a": on Linux a positioned write to a file opened for appending goes to its end.
    const data = await open(dataPath, constants.O_RDWR | constants.O_CREAT);
    const md5 = createHash("md5");
    let size = 0;
    try {
      let batch: Buffer[] = [];
      let batched = 0;
      const flush = async () => {
        await data.writev(batch, offset + size);
        size += batched;
        batch = [];
        batched = 0;
      };
      for await (const chunk of content) {
        md5.update(chunk);
        batch.push(chunk);
        batched += chunk.length;
        if (batched >= WRITE_BATCH_BYTES) await flush();
      }
      await flush();
    } finally {
      await data.close();
    }
    const entry: PartEntry = { offset, size, md5: md5.digest("hex") };
    await writeFile(path.join(directory, `${partNumber}.json`), JSON.stringify(entry));
    return entry;
  };
}

/**
 * The store's assembly of a completed multipart upload, with S3's ETag. When the listed parts
 * lie in the data file in their order and fill it (they arrived one after another, none sent
 * twice), the data file becomes the object as it is; otherwise their regions are copied out.
 */
function assembleParts(store: Store, dataEnds: DataEnds): Store["putObjectMultipart"] {
  return async (bucket, uploadId, parts) => {
    const directory = path.join(uploadsDirectory({ store }, bucket), uploadId);
    if (!isUploadId(uploadId) || !existsSync(directory)) throw noSuchUpload(uploadId);
    const key = await readFile(path.join(directory, "key"), "utf8");
    const metadata = JSON.parse(await readFile(path.join(directory, "metadata"), "utf8")) as Record<string, string>;
    const ordered = [...parts].sort((a, b) => a.number - b.number);
    const entries: PartEntry[] = [];
    for (const { number } of ordered) {
      const entry = await readFile(path.join(directory, `${Number.isSafeInteger(number) ? number : "none"}.json`), "utf8").catch(() => {
        throw new S3Error("InvalidPart", "One or more of the specified parts could not be found.", { PartNumber: number, UploadId: uploadId });
      });
      entries.push(JSON.parse(entry) as PartEntry);
    }
    const dataPath = path.join(directory, "data");
    const size = entries.reduce((sum, entry) => sum + entry.size, 0);
    const inOrder = entries.every((entry, i) => entry.offset === (i === 0 ? 0 : entries[i - 1]!.offset + entries[i - 1]!.size));
    const objectPath = store.getResourcePath(bucket, key, "object");
    await mkdir(path.dirname(objectPath), { recursive: true });
    if (inOrder && (await stat(dataPath)).size === size) {
      await rename(dataPath, objectPath);
    } else {
      await copyRegions(dataPath, entries, objectPath);
    }
    const digests = Buffer.concat(entries.map((entry) => Buffer.from(entry.md5, "hex")));
    const md5 = `${createHash("md5").update(digests).digest("hex")}-${entries.length}`;
    await store.putMetadata(bucket, key, { "content-type": "binary/octet-stream", ...metadata }, md5);
    await rm(directory, { recursive: true, force: true });
    dataEnds.delete(directory);
    return { size, md5 };
  };
}

async function copyRegions(dataPath: string, entries: PartEntry[], objectPath: string): Promise<void> {
  const [data, object] = await Promise.all([open(dataPath, "r"), open(objectPath, "w")]);
  try {
    const buffer = Buffer.allocUnsafe(WRITE_BATCH_BYTES);
    for (const { offset, size } of entries) {
      for (let done = 0; done < size; ) {
        const { bytesRead } = await data.read(buffer, 0, Math.min(buffer.length, size - done), offset + done);
        if (bytesRead === 0) throw new Error(`the upload's data ends before its part at ${offset}`);
        await object.write(buffer, 0, bytesRead);
        done += bytesRead;
      }
    }
  } finally {
    await Promise.all([data.close(), object.close()]);
  }
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
  const dataEnds: DataEnds = new Map();
  // Just before s3rver's router (the last middleware), after its logging and XML rendering.
  internals.middleware.splice(internals.middleware.length - 1, 0, abortMultipartUpload(internals, dataEnds));
  internals.store.putPart = writePartIntoUploadData(internals.store, dataEnds);
  internals.store.putObjectMultipart = assembleParts(internals.store, dataEnds);
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
