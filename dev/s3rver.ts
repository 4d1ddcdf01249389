/**
 * Embedded S3 for development and tests: s3rver on 127.0.0.1, with the exports bucket made.
 * It enforces presigned-URL expiry but does not verify signatures, so it proves nothing
 * about signature checks. Never used in production (set R2_* or S3_* instead).
 *
 *   tsx dev/s3rver.ts --port 4569 --dir .local/s3 --bucket metric-exports
 */
import { mkdirSync } from "node:fs";
import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";

import S3rver from "s3rver";

export type EmbeddedS3 = { endpoint: string; port: number; close(): Promise<void> };

export async function startS3rver(options: { port?: number; directory: string; bucket: string }): Promise<EmbeddedS3> {
  mkdirSync(options.directory, { recursive: true });
  const server = new S3rver({
    port: options.port ?? 0,
    address: "127.0.0.1",
    directory: options.directory,
    silent: true,
    configureBuckets: [{ name: options.bucket, configs: [] }],
  });
  const address = (await server.run()) as AddressInfo;
  const http = (server as unknown as { httpServer: Server }).httpServer;
  return {
    endpoint: `http://127.0.0.1:${address.port}`,
    port: address.port,
    async close() {
      // Keep-alive sockets would otherwise hold close() open indefinitely.
      http.closeAllConnections();
      await server.close();
    },
  };
}

if (process.argv[1] && fileURLToPath(import.meta.url) === path.resolve(process.argv[1])) {
  const { values } = parseArgs({
    options: { port: { type: "string", default: "4569" }, dir: { type: "string", default: ".local/s3" }, bucket: { type: "string", default: "metric-exports" } },
  });
  const s3 = await startS3rver({ port: Number(values.port), directory: path.resolve(values.dir), bucket: values.bucket });
  console.log(`s3rver on ${s3.endpoint}, bucket ${values.bucket}, files in ${values.dir}`);
  const stop = () => void s3.close().then(() => process.exit(0));
  process.on("SIGINT", stop);
  process.on("SIGTERM", stop);
}
