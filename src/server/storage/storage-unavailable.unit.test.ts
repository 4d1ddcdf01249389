/**
 * A store out of reach reads as one plain STORAGE_UNAVAILABLE (502 / BAD_GATEWAY), whatever
 * broke underneath, for every operation, with the precise reason in the server log only.
 * Each failure is real: s3rver stopped (refused), a server that drops every connection
 * (reset), a host name that does not resolve (DNS), a store answering 503, and a store that
 * accepts connections but never answers (the SDK's request timeout).
 */
import { mkdtempSync, rmSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { Readable } from "node:stream";

import { HeadObjectCommand, S3Client } from "@aws-sdk/client-s3";
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";

import { type EmbeddedS3, startS3rver } from "../../../dev/s3rver";

import { newExportKey, ObjectStorage, STORAGE_UNAVAILABLE_MESSAGE, type StorageConfig } from "./index";
import { isStorageUnreachable } from "./storage-errors";

const BUCKET = "unavailable-test";
const MB = 1024 * 1024;
let dir: string;
const servers: Server[] = [];

const config = (endpoint: string): StorageConfig => ({
  kind: "s3",
  endpoint,
  region: "us-east-1",
  accessKeyId: "S3RVER",
  secretAccessKey: "S3RVER",
  bucket: BUCKET,
  forcePathStyle: true,
});

async function listen(server: Server): Promise<string> {
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

/** Every operation a user's request or an export run may make, by name. */
function operations(storage: ObjectStorage) {
  const key = newExportKey("t", "x.csv", 60);
  return {
    "upload (one PUT)": () => storage.uploadStream({ key, body: Readable.from(["a,b\r\n"]) }),
    "upload (multipart)": () => storage.uploadStream({ key, body: Readable.from([Buffer.alloc(6 * MB)]) }),
    head: () => storage.headObject(key),
    "download link": () => storage.presignDownload(key),
    delete: () => storage.deleteObject(key),
    list: async () => {
      for await (const object of storage.listObjects("exports/")) void object;
    },
    "abort upload": () => storage.abortUpload({ key, uploadId: "0123456789abcdef0123456789abcdef" }),
  };
}

/** Runs every operation and returns what each one threw. */
async function failures(storage: ObjectStorage) {
  const outcomes: Record<string, unknown> = {};
  for (const [name, run] of Object.entries(operations(storage))) {
    outcomes[name] = await run().then(
      () => "succeeded",
      (error: unknown) => ({ code: (error as { code?: unknown }).code, message: (error as Error).message }),
    );
  }
  return outcomes;
}

const plain = { code: "STORAGE_UNAVAILABLE", message: STORAGE_UNAVAILABLE_MESSAGE };
const everyOperationUnavailable = () => Object.fromEntries(Object.keys(operations(new ObjectStorage(config("http://unused")))).map((name) => [name, plain]));

/** The log lines written while `run` runs. */
async function logged(run: () => Promise<unknown>): Promise<string[]> {
  const lines: string[] = [];
  const spy = vi.spyOn(console, "log").mockImplementation((line: unknown) => void lines.push(String(line)));
  try {
    await run();
  } finally {
    spy.mockRestore();
  }
  return lines;
}

beforeAll(() => {
  dir = mkdtempSync(path.join(tmpdir(), "s3-unavailable-"));
});

afterEach(async () => {
  for (const server of servers.splice(0)) {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
});

afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

describe("storage that cannot be reached", () => {
  it("stopped (connection refused): every operation is STORAGE_UNAVAILABLE; the address is only in the log", async () => {
    const s3: EmbeddedS3 = await startS3rver({ directory: dir, bucket: BUCKET });
    const storage = new ObjectStorage(config(s3.endpoint));
    expect(await storage.headObject("exports/t/none")).toBeNull();
    await s3.close();

    let outcomes: Record<string, unknown> = {};
    const lines = await logged(async () => (outcomes = await failures(storage)));
    expect(outcomes).toEqual(everyOperationUnavailable());
    expect(JSON.stringify(outcomes)).not.toMatch(/ECONNREFUSED|127\.0\.0\.1|:\d{4,5}\b/);
    const reasons = lines.map((line) => JSON.parse(line) as { msg: string; command: string; reason: string }).filter((l) => l.msg === "storage.unavailable");
    expect(reasons.map((l) => l.command)).toContain("HeadObjectCommand");
    expect(reasons.every((l) => l.reason.includes(`ECONNREFUSED 127.0.0.1:${s3.port}`))).toBe(true);
  });

  it("dropping every connection (reset): STORAGE_UNAVAILABLE", async () => {
    const endpoint = await listen(createServer((req) => req.socket.destroy()));
    expect(await failures(new ObjectStorage(config(endpoint)))).toEqual(everyOperationUnavailable());
  });

  it("a host name that does not resolve (DNS): STORAGE_UNAVAILABLE", async () => {
    // .invalid never resolves (RFC 2606).
    expect(await failures(new ObjectStorage(config("http://storage.export-center.invalid")))).toEqual(everyOperationUnavailable());
  });

  it("answering 503 Service Unavailable: STORAGE_UNAVAILABLE, with the status in the log", async () => {
    const endpoint = await listen(
      createServer((req, res) => {
        req.resume();
        res.writeHead(503, { "content-type": "application/xml" });
        res.end(`<?xml version="1.0" encoding="UTF-8"?><Error><Code>ServiceUnavailable</Code><Message>Reduce your request rate.</Message></Error>`);
      }),
    );
    const storage = new ObjectStorage(config(endpoint));
    let outcomes: Record<string, unknown> = {};
    const lines = await logged(async () => (outcomes = await failures(storage)));
    expect(outcomes).toEqual(everyOperationUnavailable());
    expect(lines.some((line) => line.includes('"msg":"storage.unavailable"') && line.includes("503"))).toBe(true);
  });

  it("classifies the SDK's request timeout (a store that accepts and never answers) as unreachable", async () => {
    const endpoint = await listen(createServer(() => {}));
    // The app's client waits 60 s for an answer; this one, built the same way, 200 ms.
    const client = new S3Client({
      region: "us-east-1",
      endpoint,
      forcePathStyle: true,
      credentials: { accessKeyId: "S3RVER", secretAccessKey: "S3RVER" },
      maxAttempts: 1,
      requestHandler: { requestTimeout: 200, throwOnRequestTimeout: true },
    });
    const error = await client.send(new HeadObjectCommand({ Bucket: BUCKET, Key: "k" })).catch((e: unknown) => e);
    expect(error).toMatchObject({ name: "TimeoutError" });
    expect(isStorageUnreachable(error)).toBe(true);
  });

  it("keeps a store's refusals as they are: a missing object is not an outage, nor a 501 for an unsupported feature", async () => {
    const s3 = await startS3rver({ directory: dir, bucket: BUCKET });
    try {
      const storage = new ObjectStorage(config(s3.endpoint));
      expect(await storage.headObject(newExportKey("t", "missing.csv"))).toBeNull();
      // s3rver answers lifecycle configuration with 501 NotImplemented.
      expect(await storage.applyLifecycleRule(1)).toEqual({ applied: false, reason: "The storage does not support lifecycle rules (NotImplemented)" });
    } finally {
      await s3.close();
    }
  });
});
