/**
 * A process that starts a multipart upload and never finishes it: the storage tests SIGKILL
 * it mid-upload, as a crash or a redeploy would, and check that the sweep aborts what it
 * left behind.
 *
 *   node --import tsx tests/support/upload-until-killed.ts '{"endpoint":…,"bucket":…,"redisUrl":…,"key":…}'
 */
import { Readable } from "node:stream";

import { z } from "zod";

import { createRedis } from "~/server/redis";
import { ObjectStorage, OpenUploadIndex } from "~/server/storage";

const args = z.object({ endpoint: z.string(), bucket: z.string(), redisUrl: z.string(), key: z.string() }).parse(JSON.parse(process.argv[2] ?? "{}"));

const index = new OpenUploadIndex(createRedis({ redisUrl: args.redisUrl }), args.bucket);
const storage = new ObjectStorage(
  { kind: "s3", endpoint: args.endpoint, region: "us-east-1", accessKeyId: "S3RVER", secretAccessKey: "S3RVER", bucket: args.bucket, forcePathStyle: true },
  { openUploads: index },
);
// Two whole 5 MB parts and a part-filled buffer, then a body that never ends: the process hangs
// mid-upload with no request in flight, so that the parent can kill it at a moment it knows.
let pushed = 0;
const stalled = new Readable({
  read() {
    if (pushed < 12) this.push(Buffer.alloc(1024 * 1024, "x"));
    pushed += 1;
  },
});
await storage.uploadStream({ key: args.key, body: stalled });
