/**
 * The pinned lookup as the customer's-bucket client uses it, against s3rver on 127.0.0.1. The
 * resolver is the seam: it maps AWS's regional name (which has no route from here) to s3rver,
 * so a request that succeeds went through this lookup and not the system's. A rebinding resolver answers
 * s3rver's address first and 127.0.0.2 after, where s3rver (bound to 127.0.0.1) does not
 * listen; every connection still goes to the first.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { Readable } from "node:stream";

import { afterAll, beforeAll, describe, expect, it } from "vitest";

import { type EmbeddedS3, startS3rver } from "../../../../dev/s3rver";
import { ObjectStorage } from "~/server/storage";

import { pinnedLookup } from "./pinned-lookup";

const open = { allowPrivateNetworks: true, overrideSetting: "DESTINATIONS_ALLOW_PRIVATE_NETWORKS" };
const closed = { allowPrivateNetworks: false, overrideSetting: "DESTINATIONS_ALLOW_PRIVATE_NETWORKS" };
const bucket = "customer-bucket";
// An AWS regional name, which s3rver takes as path style; here only the resolver maps it, to s3rver.
const host = "s3.us-east-1.amazonaws.com";

let dir: string;
let s3: EmbeddedS3;

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), "pinned-lookup-"));
  s3 = await startS3rver({ directory: dir, bucket });
});

afterAll(async () => {
  await s3?.close();
  rmSync(dir, { recursive: true, force: true });
});

/** A client of the customer's bucket at `http://s3.us-east-1.amazonaws.com:<s3rver's port>`, connecting through `lookup`. */
const customerBucket = (lookup: ReturnType<typeof pinnedLookup>["lookup"]) =>
  new ObjectStorage(
    { kind: "s3", bucket, region: "us-east-1", endpoint: `http://${host}:${s3.port}`, forcePathStyle: true, accessKeyId: "S3RVER", secretAccessKey: "S3RVER" },
    { maxAttempts: 1, lookup },
  );

const put = (storage: ObjectStorage, key: string) => storage.uploadStream({ key, body: Readable.from([`${key}\n`]), contentType: "text/plain" });

describe("pinnedLookup", () => {
  it("is what the S3 client connects through, and pins the first answer however many connections it opens", async () => {
    const asked: string[] = [];
    const rebinding = async (name: string) => {
      asked.push(name);
      return asked.length === 1 ? ["127.0.0.1"] : ["127.0.0.2"];
    };
    const storage = customerBucket(pinnedLookup(open, rebinding).lookup);
    // Concurrent requests open several sockets, each of which asks the lookup.
    const keys = Array.from({ length: 6 }, (_, i) => `pinned/${i}.txt`);
    await Promise.all(keys.map((key) => put(storage, key)));
    expect(await Promise.all(keys.map((key) => storage.headObject(key)))).toEqual(keys.map((key) => ({ size: key.length + 1 })));
    expect(asked).toEqual([host]);
  });

  it("refuses a name that resolves to loopback outside development, before anything is sent", async () => {
    const storage = customerBucket(pinnedLookup(closed, async () => ["127.0.0.1"]).lookup);
    await expect(put(storage, "refused.txt")).rejects.toThrow(`The host "${host}" resolves to a loopback address`);
    const direct = new ObjectStorage({ kind: "s3", bucket, region: "us-east-1", endpoint: s3.endpoint, forcePathStyle: true, accessKeyId: "S3RVER", secretAccessKey: "S3RVER" });
    expect(await direct.headObject("refused.txt")).toBeNull();
  });

  it("checks an IP literal without a resolver, and asks again after a refusal rather than pin it", async () => {
    const answers = [["10.0.0.1"], ["203.0.113.9"], ["8.8.8.8"]];
    const pinned = pinnedLookup(closed, async () => answers.shift()!);
    await expect(pinned.checkHost("[::ffff:169.254.169.254]")).rejects.toThrow("link-local");
    await expect(pinned.checkHost(host)).rejects.toThrow("private network");
    await expect(pinned.checkHost(host)).rejects.toThrow("reserved");
    expect(await pinned.checkHost(host)).toEqual(["8.8.8.8"]);
    expect(await pinned.checkHost(host)).toEqual(["8.8.8.8"]);
    expect(answers).toEqual([]);
  });
});
