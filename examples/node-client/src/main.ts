/**
 * Exports a metric through the typed client, as another TypeScript app would: start it,
 * print its progress, wait for it, download the CSV through a fresh 60-second link, and
 * check the file against the job's row count. With `--gzip` the file is a `.csv.gz`, which
 * the download saves compressed, and which this unpacks before counting.
 *
 *   EXPORT_CENTER_URL=http://localhost:3000 EXPORT_CENTER_TOKEN=ec_… \
 *     npm start -- <teamId> <metricId> [--gzip]
 */
import { gunzipSync } from "node:zlib";

import { createExportCenterClient, ExportFailedError } from "export-center/client";

function required(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`Set ${name}`);
  return value;
}

/** Data lines of a CSV: record ends outside quotes, after the header. */
function countRecords(csv: string): number {
  let records = 0;
  let inQuotes = false;
  for (let i = 0; i < csv.length; i++) {
    const c = csv[i];
    if (c === '"') inQuotes = !inQuotes;
    else if (c === "\n" && !inQuotes) records++;
  }
  return records - 1;
}

async function main() {
  const [teamId, metricId, ...flags] = process.argv.slice(2);
  if (!teamId || !metricId || flags.some((flag) => flag !== "--gzip")) throw new Error("Usage: main.ts <teamId> <metricId> [--gzip]");
  const gzip = flags.includes("--gzip");
  const client = createExportCenterClient({ url: required("EXPORT_CENTER_URL"), token: required("EXPORT_CENTER_TOKEN") });

  const started = await client.exportMetric(teamId, metricId, { format: "csv", compression: gzip ? "gzip" : undefined });
  console.log(`started export ${started.id} (${started.status})`);

  const job = await client.waitForExport(teamId, started.id, {
    onProgress: (j) => console.log(`progress ${j.status} ${j.progress?.phase ?? "-"} rows=${j.progress?.rows ?? 0} bytes=${j.progress?.bytes ?? 0}`),
    signal: AbortSignal.timeout(120_000),
  });

  const link = await client.downloadUrl(teamId, job.id);
  const response = await fetch(link.url);
  if (!response.ok) throw new Error(`Download failed: HTTP ${response.status}`);
  const bytes = Buffer.from(await response.arrayBuffer());
  const csv = (gzip ? gunzipSync(bytes) : bytes).toString("utf8");
  const records = countRecords(csv);
  if (records !== link.rowCount) throw new Error(`The file has ${records} rows, the job says ${link.rowCount}`);

  console.log(`downloaded ${link.fileName}: ${records} rows, ${bytes.length} bytes, header: ${csv.slice(0, csv.indexOf("\r\n"))}`);
  console.log(`ok${link.truncated ? " (truncated at the row cap)" : ""}`);
}

main().catch((error: unknown) => {
  if (error instanceof ExportFailedError) console.error(`export ${error.status}: ${error.message}`);
  else console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
