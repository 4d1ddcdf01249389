/**
 * One format benchmark run, alone in this process so that its peak RSS (VmHWM) is the
 * encoding's own: the bench table read through the PostgreSQL adapter as a metric export reads
 * it (COPY for CSV, the cursor's rows for the others), encoded by the format, the bytes counted
 * and dropped. Prints one JSON line of figures.
 *
 * Usage: node format-bench-worker.mjs <format>[.gz] <rows> <source database url> <app database url>
 */
import { readFileSync } from "node:fs";

import { exportFormats } from "~/server/exports/formats";
import { encodeCompressed, exportCompressions } from "~/server/exports/formats/compression";
import { createSourceAdapter, postgresTarget } from "~/server/sources";

const [fileType, rowsArg, sourceUrl, appUrl] = process.argv.slice(2);
// "csv.gz": the format, then gzip as the run applies it (formats/compression.ts).
const [formatId, compressed] = (fileType ?? "").split(".");
const format = exportFormats[formatId as keyof typeof exportFormats];
if (!format || !rowsArg || !sourceUrl || !appUrl) throw new Error("usage: format-bench-worker <format> <rows> <source url> <app url>");
const { benchSelect } = await import("./seed-bench-table");

const adapter = await createSourceAdapter("POSTGRES", { url: sourceUrl }, {
  allowPrivateNetworks: true,
  overrideSetting: "DATA_SOURCE_ALLOW_PRIVATE_NETWORKS",
  appDatabase: postgresTarget({ url: appUrl }),
});
const query = { sql: benchSelect(Number(rowsArg)), maxRows: 1_000_000, statementTimeoutMs: 10 * 60_000 };
// Where the peak sits: V8's heap, or memory outside it (Buffers' bytes), sampled as it runs.
const peaks = { heapTotalMb: 0, heapUsedMb: 0, externalMb: 0, arrayBuffersMb: 0 };
const sample = () => {
  const m = process.memoryUsage();
  peaks.heapTotalMb = Math.max(peaks.heapTotalMb, m.heapTotal / 2 ** 20);
  peaks.heapUsedMb = Math.max(peaks.heapUsedMb, m.heapUsed / 2 ** 20);
  peaks.externalMb = Math.max(peaks.externalMb, m.external / 2 ** 20);
  peaks.arrayBuffersMb = Math.max(peaks.arrayBuffersMb, m.arrayBuffers / 2 ** 20);
};
const sampler = setInterval(sample, 20);
const started = process.hrtime.bigint();
const rows = format.databaseEncoding && adapter.queryCsv ? await adapter.queryCsv(query, format.databaseEncoding) : await adapter.query(query);
const options = { maxRows: 1_000_000, maxBytes: 500 * 1024 * 1024, onProgress: () => undefined };
const file = compressed === "gz" ? encodeCompressed(exportCompressions.gzip, options, (o) => format.encode(rows, o)) : format.encode(rows, options);
let bytes = 0;
for await (const chunk of file.body) bytes += (chunk as Buffer).length;
const seconds = Number(process.hrtime.bigint() - started) / 1e9;
clearInterval(sampler);
sample();
await adapter.close();
const peakRssMb = Number(/VmHWM:\s+(\d+)/.exec(readFileSync("/proc/self/status", "utf8"))?.[1] ?? 0) / 1024;
process.stdout.write(JSON.stringify({ seconds, bytes, rows: file.summary().rows, peakRssMb, ...peaks }) + "\n");
