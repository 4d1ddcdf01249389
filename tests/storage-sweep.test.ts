/**
 * The storage sweep on real services: s3rver (stopped and started again where the test says
 * so), the machine's Redis for the open-upload index, and a real process killed mid-upload.
 * The sweep takes `now`, so a test sweeps as if minutes or days had passed instead of waiting.
 *
 * s3rver 3.7.1 has no ListMultipartUploads (NotImplemented), so what "no open upload" means
 * here is twofold: s3rver keeps no upload directory (dev/s3rver.ts `pendingUploads`), and the
 * app's own index lists none.
 */
import { spawn } from "node:child_process";
import { randomUUID } from "node:crypto";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { Readable } from "node:stream";

import { PutObjectCommand } from "@aws-sdk/client-s3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

import { type EmbeddedS3, startS3rver } from "../dev/s3rver";
import { TEST_REDIS_URL as REDIS_URL } from "./support/test-env";
import { type AppRedis, createRedis } from "~/server/redis";
import { newExportKey, ObjectStorage, OpenUploadIndex, type StorageConfig, sweepExportStorage, type SweepPolicy } from "~/server/storage";

const ROOT = path.resolve(import.meta.dirname, "..");
const MB = 1024 * 1024;
const MINUTE = 60_000;
const DAY = 24 * 60 * MINUTE;

// A bucket of its own, and so an index of its own: other test files' uploads are not ours to sweep.
const bucket = `sweep-${randomUUID().slice(0, 8)}`;
let dir: string;
let s3: EmbeddedS3;
let redis: AppRedis;
let index: OpenUploadIndex;
let storage: ObjectStorage;

const config = (): StorageConfig => ({
  kind: "s3",
  endpoint: s3.endpoint,
  region: "us-east-1",
  accessKeyId: "S3RVER",
  secretAccessKey: "S3RVER",
  bucket,
  forcePathStyle: true,
});

const startStorage = (port?: number) => startS3rver({ port, directory: path.join(dir, "s3"), bucket });

/** The app's policy: a week for keys without a lifetime, a 6-minute grace, uploads over after 30 minutes. */
const policy = (now: number): SweepPolicy => ({ now: new Date(now), defaultLifetimeSeconds: 7 * 24 * 3600, graceSeconds: 360, maxUploadAgeSeconds: 30 * 60 });

async function keysUnder(prefix: string): Promise<string[]> {
  const keys: string[] = [];
  for await (const object of storage.listObjects(prefix)) keys.push(object.key);
  return keys.sort();
}

/** The sizes of the parts s3rver holds for the one open upload, by part number (dev/s3rver.ts: `<part>.json`). */
function storedParts(): number[] {
  const [uploadId] = s3.pendingUploads();
  if (!uploadId) return [];
  const directory = path.join(dir, "s3", bucket, "._S3rver_uploads", uploadId);
  return readdirSync(directory)
    .filter((name) => /^\d+\.json$/.test(name))
    .sort((a, b) => parseInt(a) - parseInt(b))
    .map((name) => (JSON.parse(readFileSync(path.join(directory, name), "utf8")) as { size: number }).size);
}

const openUploads = () => index.startedBefore(new Date(Date.now() + 365 * DAY), 1000);

async function expectNothingLeft(prefix: string) {
  expect(await keysUnder(prefix)).toEqual([]);
  expect(s3.pendingUploads()).toEqual([]);
  expect(await openUploads()).toEqual([]);
}

async function until(check: () => boolean | Promise<boolean>, timeoutMs: number) {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`Condition not met within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** An endless body, read slowly, so that an upload stays open until something stops it. */
const endlessBody = () =>
  new Readable({
    read() {
      setTimeout(() => this.push(Buffer.alloc(MB, "y")), 10);
    },
  });

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), "storage-sweep-"));
  s3 = await startStorage();
  redis = createRedis({ redisUrl: REDIS_URL });
  index = new OpenUploadIndex(redis, bucket);
  storage = new ObjectStorage(config(), { openUploads: index });
});

afterAll(async () => {
  await s3?.close();
  await redis?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe("storage sweep", () => {
  it("deletes each export file once it is older than the lifetime in its key plus the grace, and nothing else", async () => {
    const team = `t${randomUUID().slice(0, 8)}`;
    const metricFile = newExportKey(team, "metric.csv", 60);
    const visitFile = newExportKey(team, "visits.csv", 7 * 24 * 3600);
    const unrecorded = newExportKey(team, "before-lifetimes.csv");
    const notAnExport = `other/${team}/keep.csv`;
    for (const key of [metricFile, visitFile, unrecorded]) await storage.uploadStream({ key, body: Readable.from(["a,b\r\n"]) });
    await storage.client.send(new PutObjectCommand({ Bucket: bucket, Key: notAnExport, Body: "x" }));
    const uploaded = Date.now();

    expect(await sweepExportStorage(storage, index, policy(uploaded))).toEqual({ deletedObjects: 0, abortedUploads: 0 });
    // Past the metric file's 60 s, but within the grace: a link minted at its last moment still works.
    expect(await sweepExportStorage(storage, index, policy(uploaded + 60_000 + 5 * MINUTE))).toEqual({ deletedObjects: 0, abortedUploads: 0 });
    expect(await keysUnder(`exports/${team}/`)).toEqual([metricFile, visitFile, unrecorded].sort());

    expect(await sweepExportStorage(storage, index, policy(uploaded + 60_000 + 7 * MINUTE))).toEqual({ deletedObjects: 1, abortedUploads: 0 });
    expect(await keysUnder(`exports/${team}/`)).toEqual([visitFile, unrecorded].sort());

    // A key without a lifetime gets the longest a file may have: the job's week.
    expect(await sweepExportStorage(storage, index, policy(uploaded + 7 * DAY + 7 * MINUTE))).toEqual({ deletedObjects: 2, abortedUploads: 0 });
    expect(await sweepExportStorage(storage, index, policy(uploaded + 7 * DAY + 7 * MINUTE))).toEqual({ deletedObjects: 0, abortedUploads: 0 });
    expect(await keysUnder(`other/${team}/`)).toEqual([notAnExport]);
    await expectNothingLeft(`exports/${team}/`);
  });

  it("keeps a multipart upload in the index only while it is open", async () => {
    const key = newExportKey(`t${randomUUID().slice(0, 8)}`, "big.csv", 60);
    await storage.uploadStream({ key, body: Readable.from([Buffer.alloc(12 * MB, "z")]) });
    expect(await openUploads()).toEqual([]);
    await storage.deleteObject(key);
  });

  it("aborts the upload of a process killed mid-upload, once it has been open longer than any export runs", async () => {
    const team = `t${randomUUID().slice(0, 8)}`;
    const key = newExportKey(team, "killed.csv", 60);
    // One process (node with tsx's loader, not the tsx CLI, which would run the script in a child that SIGKILL misses).
    const child = spawn(process.execPath, ["--import", "tsx", "tests/support/upload-until-killed.ts", JSON.stringify({ endpoint: s3.endpoint, bucket, redisUrl: REDIS_URL, key })], {
      cwd: ROOT,
      stdio: ["ignore", "ignore", "inherit"],
    });
    const exited = new Promise((resolve) => child.once("exit", resolve));
    try {
      // The upload is open and recorded, and its two whole parts are stored: nothing is in
      // flight when the process dies, as when it died minutes ago.
      await until(async () => (await openUploads()).length === 1 && storedParts().join() === `${5 * MB},${5 * MB}`, 30_000);
    } finally {
      child.kill("SIGKILL");
      await exited;
    }
    const started = Date.now();
    expect(await openUploads()).toEqual([{ key, uploadId: s3.pendingUploads()[0] }]);

    // A run may still be uploading within the bound: the sweep leaves it alone.
    expect(await sweepExportStorage(storage, index, policy(started + 29 * MINUTE))).toEqual({ deletedObjects: 0, abortedUploads: 0 });
    expect(s3.pendingUploads()).toHaveLength(1);

    expect(await sweepExportStorage(storage, index, policy(started + 31 * MINUTE))).toEqual({ deletedObjects: 0, abortedUploads: 1 });
    await expectNothingLeft(`exports/${team}/`);
  });

  it("aborts an upload whose own abort fell in a storage outage, at the first sweep after storage is back", async () => {
    const team = `t${randomUUID().slice(0, 8)}`;
    const key = newExportKey(team, "outage.csv", 60);
    const upload = storage.uploadStream({ key, body: endlessBody() });
    await until(async () => (await openUploads()).length === 1, 30_000);
    await s3.close();
    await expect(upload).rejects.toMatchObject({ code: "STORAGE_UNAVAILABLE" });
    // The upload could not be aborted: it stays in the index.
    expect(await openUploads()).toEqual([{ key, uploadId: expect.any(String) }]);

    // A sweep during the outage fails as the outage, and loses nothing from the index.
    await expect(sweepExportStorage(storage, index, policy(Date.now() + 31 * MINUTE))).rejects.toMatchObject({ code: "STORAGE_UNAVAILABLE" });
    expect(await openUploads()).toHaveLength(1);

    s3 = await startStorage(s3.port);
    expect(s3.pendingUploads()).toHaveLength(1);
    expect(await sweepExportStorage(storage, index, policy(Date.now() + 31 * MINUTE))).toEqual({ deletedObjects: 0, abortedUploads: 1 });
    await expectNothingLeft(`exports/${team}/`);
  });
});
