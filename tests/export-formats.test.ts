/**
 * Choosing an export's file (issue 13): the format and the compression through REST and tRPC,
 * the name, Content-Type and Content-Disposition of each registry format's file on its real
 * presigned link, the 400s for what is not allowed, gzip streamed with the size cap on the
 * compressed bytes, and the job record and audit log keeping both fields. Real services: the
 * local executor, s3rver, PostgreSQL, Redis.
 *
 * The per-format cases loop over the registries (formats/index.ts), so every format registered
 * there is checked here by its registry line alone.
 */
import { gunzipSync } from "node:zlib";

import { parse } from "csv-parse/sync";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ZodError } from "zod";

import { compressionIds, exportFormats, formatIds, type FormatId } from "~/server/exports/formats";
import { exportFileType, type FileOptions } from "~/server/exports/formats/file-options";

import { type ExportHarness, startExportHarness } from "./support/export-harness";
import { restError } from "./support/rest-error";
import { TEST_SOURCE_DATABASE_URL as PG_URL } from "./support/test-env";

/** 400 KB: a 1 MB CSV goes over it, and the same CSV gzipped stays well under. */
const MAX_BYTES = 400_000;

/** The extension each format's file ends with, as the issue names them. */
const extensions: Record<string, string> = { csv: "csv", xlsx: "xlsx", parquet: "parquet", jsonl: "jsonl" };

/** Every file a request can ask for: each format, plain and with each compression it takes. */
const fileChoices: FileOptions[] = formatIds.flatMap((format) => [{ format }, ...exportFormats[format].compressions.map((compression) => ({ format, compression }))]);
const describeFile = ({ format, compression }: FileOptions) => (compression ? `${format} + ${compression}` : format);
const formatsWithoutCompression = formatIds.filter((id) => exportFormats[id].compressions.length === 0);

let harness: ExportHarness;
let app: typeof import("./support/export-app");
let fixtures: typeof import("./support/fixtures");
let visits: typeof import("./support/visit-fixtures");
let db: typeof import("~/server/db").db;
let manage: typeof import("~/server/exports/manage-export");
let routes: {
  download: typeof import("~/app/api/v2/metric_files/[id]/download/route");
  job: typeof import("~/app/api/teams/[teamId]/export-jobs/[exportId]/route");
  document: typeof import("~/app/api/teams/[teamId]/documents/[id]/export-visits/route");
};

beforeAll(async () => {
  harness = await startExportHarness({ env: { EXPORT_REST_WAIT_MS: "20000", EXPORT_MAX_BYTES: String(MAX_BYTES) } });
  app = await import("./support/export-app");
  fixtures = await import("./support/fixtures");
  visits = await import("./support/visit-fixtures");
  db = (await import("~/server/db")).db;
  manage = await import("~/server/exports/manage-export");
  routes = {
    download: await import("~/app/api/v2/metric_files/[id]/download/route"),
    job: await import("~/app/api/teams/[teamId]/export-jobs/[exportId]/route"),
    document: await import("~/app/api/teams/[teamId]/documents/[id]/export-visits/route"),
  };
}, 120_000);

afterAll(async () => {
  await harness?.close();
});

const call = <P>(handler: (req: Request, ctx: { params: Promise<P> }) => Promise<Response>, url: string, params: P, init: RequestInit = {}) =>
  handler(new Request(`http://test${url}`, init), { params: Promise.resolve(params) });

const bearer = (token: string, init: RequestInit = {}) => ({ ...init, headers: { authorization: `Bearer ${token}`, ...(init.headers as Record<string, string>) } });

const query = (file: Partial<Record<"format" | "compression", string>>) => {
  const search = new URLSearchParams(Object.entries(file).filter((entry): entry is [string, string] => entry[1] !== undefined));
  return search.size ? `?${search}` : "";
};

/** A metric whose CSV is the same on every run, and a token for its team. */
async function metricTeam(sql = "SELECT g AS n, 'row ' || g || ', \"quoted\" ✓' AS label, g * 1.5 AS price FROM generate_series(1, 300) g ORDER BY g") {
  const team = await app.teamWithSource("POSTGRES", { url: PG_URL });
  const metric = await team.metric(sql, "Formats metric");
  const token = await fixtures.tokenFor(team.user.id, team.id);
  return { team, metric, token };
}

async function downloadMetric(metricId: string, token: string, file: Partial<Record<"format" | "compression", string>>) {
  const response = await call(routes.download.GET, `/api/v2/metric_files/${metricId}/download${query(file)}`, { id: metricId }, bearer(token));
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

/** The file at a presigned link, as a browser gets it: the bytes stored, and the headers it saves them by. */
async function fetchFile(url: string) {
  const response = await fetch(url);
  expect(response.status).toBe(200);
  return { bytes: Buffer.from(await response.arrayBuffer()), headers: response.headers };
}

describe("GET /api/v2/metric_files/:id/download with a format and a compression", () => {
  it("gives a .csv.gz that gunzips to exactly the CSV, saved as it is stored (application/gzip, no Content-Encoding)", async () => {
    const { metric, token } = await metricTeam();
    const plain = await downloadMetric(metric.id, token, {});
    const gzipped = await downloadMetric(metric.id, token, { format: "csv", compression: "gzip" });
    expect(plain.status).toBe(200);
    expect(gzipped.status).toBe(200);
    expect(plain.body.fileName).toMatch(/^Formats_metric_\d{10}\.csv$/);
    expect(gzipped.body.fileName).toMatch(/^Formats_metric_\d{10}\.csv\.gz$/);
    expect(gzipped.body.rowCount).toBe(300);

    const csv = await fetchFile(String(plain.body.downloadUrl));
    const gz = await fetchFile(String(gzipped.body.downloadUrl));
    expect(gz.headers.get("content-type")).toBe("application/gzip");
    expect(gz.headers.get("content-encoding")).toBeNull();
    // gzip's magic number: the bytes arrive compressed, not undone by the client.
    expect([...gz.bytes.subarray(0, 2)]).toEqual([0x1f, 0x8b]);
    expect(gzipped.body.fileSize).toBe(gz.bytes.length);
    expect(gz.bytes.length).toBeLessThan(csv.bytes.length);
    expect(gunzipSync(gz.bytes).equals(csv.bytes)).toBe(true);
    expect((parse(gunzipSync(gz.bytes)) as string[][])[1]).toEqual(["1", 'row 1, "quoted" ✓', "1.5"]);
  });

  for (const file of fileChoices) {
    it(`names and types a ${describeFile(file)} file by its registry line, as an attachment`, async () => {
      const { metric, token } = await metricTeam("SELECT 1 AS one, 'ü' AS two");
      const { status, body } = await downloadMetric(metric.id, token, file);
      expect(status).toBe(200);
      const extension = `${extensions[file.format]}${file.compression ? ".gz" : ""}`;
      expect(body.fileName).toMatch(new RegExp(`^Formats_metric_\\d{10}\\.${extension.replace(".", "\\.")}$`));
      const { headers } = await fetchFile(String(body.downloadUrl));
      expect(headers.get("content-type")).toBe(file.compression ? "application/gzip" : exportFormats[file.format].contentType);
      expect(headers.get("content-encoding")).toBeNull();
      expect(headers.get("content-disposition")).toBe(`attachment; filename="${String(body.fileName)}"; filename*=UTF-8''${String(body.fileName)}`);
    });
  }

  it("answers 400 naming the field and listing what is allowed, and starts nothing", async () => {
    const { team, metric, token } = await metricTeam();
    const cases: [Partial<Record<"format" | "compression", string>>, string, string[]][] = [
      [{ format: "xml" }, "format", formatIds],
      [{ format: "CSV" }, "format", formatIds],
      [{ format: "" }, "format", formatIds],
      [{ compression: "zip" }, "compression", compressionIds],
      [{ format: "csv", compression: "brotli" }, "compression", compressionIds],
      ...formatsWithoutCompression.map((format): [Record<string, string>, string, string[]] => [{ format, compression: "gzip" }, "compression", []]),
    ];
    for (const [file, field, allowed] of cases) {
      const { status, body } = await downloadMetric(metric.id, token, file);
      expect(status, JSON.stringify(file)).toBe(400);
      const error = restError(body);
      expect(error.code).toBe("bad_request");
      expect(error.message.startsWith(`${field}: `), error.message).toBe(true);
      for (const id of allowed) expect(error.message).toContain(id);
    }
    const unknownParameter = await call(routes.download.GET, `/api/v2/metric_files/${metric.id}/download?fromat=csv`, { id: metric.id }, bearer(token));
    expect(unknownParameter.status).toBe(400);
    expect(restError(await unknownParameter.json()).message).toContain("fromat");
    expect(await db.exportAuditEvent.count({ where: { teamId: team.id } })).toBe(0);
  });

  it("holds the size cap to the compressed bytes: a CSV over the cap fails, the same rows gzipped pass", async () => {
    // About 1 MB of CSV that gzip shrinks a hundredfold.
    const { metric, token } = await metricTeam("SELECT g AS n, repeat('abcdefgh', 128) AS filler FROM generate_series(1, 1000) g ORDER BY g");
    const plain = await downloadMetric(metric.id, token, {});
    expect(plain.status).toBe(413);
    expect(restError(plain.body).code).toBe("file_too_large");

    const gzipped = await downloadMetric(metric.id, token, { compression: "gzip" });
    expect(gzipped.status).toBe(200);
    expect(Number(gzipped.body.fileSize)).toBeLessThan(MAX_BYTES);
    const csv = gunzipSync((await fetchFile(String(gzipped.body.downloadUrl))).bytes);
    expect(csv.length).toBeGreaterThan(MAX_BYTES);
    expect((parse(csv) as string[][]).length).toBe(1001);
  });

  it("fails a gzipped file whose compressed bytes pass the cap, and leaves no object behind", async () => {
    // Random hex: gzip only halves it, so 2 MB of CSV stays over 400 KB.
    const { team, metric, token } = await metricTeam("SELECT g, md5(random()::text) || md5(random()::text) AS noise FROM generate_series(1, 30000) g");
    const { status, body } = await downloadMetric(metric.id, token, { compression: "gzip" });
    expect(status).toBe(413);
    const error = restError(body);
    expect(error.code).toBe("file_too_large");
    expect(error.message).toContain("limit");
    const [job] = (await manage.listExports(team.id, { limit: 1, offset: 0 })).items;
    expect(job).toMatchObject({ status: "FAILED", errorCode: "FILE_TOO_LARGE", format: "csv", compression: "gzip" });
    const { getStorage } = await import("~/server/services");
    const { teamExportsPrefix } = await import("~/server/storage");
    const left: string[] = [];
    for await (const object of getStorage().listObjects(teamExportsPrefix(team.id))) left.push(object.key);
    expect(left).toEqual([]);
  });
});

describe("POST …/export-visits with a format and a compression", () => {
  const post = { method: "POST", headers: { "content-type": "application/json" } };

  async function startVisits(token: string, seeded: Awaited<ReturnType<typeof visits.seedVisits>>, search: string, body?: unknown) {
    const init = bearer(token, { ...post, body: body === undefined ? undefined : JSON.stringify(body) });
    const response = await call(routes.document.POST, `/api/teams/${seeded.team.id}/documents/${seeded.document.id}/export-visits${search}`, { teamId: seeded.team.id, id: seeded.document.id }, init);
    return { status: response.status, body: (await response.json()) as Record<string, unknown> };
  }

  it("takes them as query parameters or in the JSON body; the job and the audit log record both, and the file is the gzipped CSV", async () => {
    const seeded = await visits.seedVisits({ views: 6 });
    const token = await fixtures.tokenFor(seeded.user.id, seeded.team.id);
    const byQuery = await startVisits(token, seeded, "?format=csv&compression=gzip");
    const byBody = await startVisits(token, seeded, "", { format: "csv", compression: "gzip" });
    const both = await startVisits(token, seeded, "?compression=gzip", { compression: "gzip", format: "csv" });
    const plain = await startVisits(token, seeded, "");
    for (const started of [byQuery, byBody, both, plain]) expect(started.status).toBe(202);

    const files: Buffer[] = [];
    for (const { body } of [byQuery, byBody, both, plain]) {
      const exportId = String(body.exportId);
      const job = await manage.waitForExport(seeded.team.id, exportId, { timeoutMs: 60_000 });
      expect(job.status).toBe("COMPLETED");
      const gzipped = body !== plain.body;
      expect(job).toMatchObject({ format: "csv", compression: gzipped ? "gzip" : undefined });
      expect(job.file?.name).toMatch(gzipped ? /\.csv\.gz$/ : /\.csv$/);
      const audit = await db.exportAuditEvent.findUniqueOrThrow({ where: { exportId } });
      expect(audit).toMatchObject({ format: "csv", compression: gzipped ? "gzip" : null, channel: "REST" });

      const redirect = await call(routes.job.GET, `/api/teams/${seeded.team.id}/export-jobs/${exportId}?download=true`, { teamId: seeded.team.id, exportId }, bearer(token));
      expect(redirect.status).toBe(302);
      const { bytes, headers } = await fetchFile(redirect.headers.get("location")!);
      expect(headers.get("content-type")).toBe(gzipped ? "application/gzip" : "text/csv; charset=utf-8");
      expect(headers.get("content-encoding")).toBeNull();
      files.push(gzipped ? gunzipSync(bytes) : bytes);
    }
    // The same views, so the same CSV, however the file was asked for.
    const rows = files.map((file) => parse(file) as string[][]);
    expect(rows[0]!.length).toBe(7);
    for (const other of rows.slice(1)) expect(other).toEqual(rows[0]);
  });

  it("answers 400 for a bad format or compression in the query or the body, and for two different values", async () => {
    const seeded = await visits.seedVisits({ views: 1 });
    const token = await fixtures.tokenFor(seeded.user.id, seeded.team.id);
    const cases: [string, unknown, string, string[]][] = [
      ["?format=pdf", undefined, "format", formatIds],
      ["", { format: "pdf" }, "format", formatIds],
      ["", { format: 7 }, "format", formatIds],
      ["?compression=zstd", undefined, "compression", compressionIds],
      ["", { compression: "zstd" }, "compression", compressionIds],
      ["?compression=gzip", { compression: "none" }, "compression", compressionIds],
      ["?format=csv", { format: formatIds.find((id) => id !== "csv") ?? "xml" }, "format", []],
      ...formatsWithoutCompression.map((format): [string, unknown, string, string[]] => [`?format=${format}`, { compression: "gzip" }, "compression", []]),
    ];
    for (const [search, body, field, allowed] of cases) {
      const answer = await startVisits(token, seeded, search, body);
      expect(answer.status, `${search} ${JSON.stringify(body)}`).toBe(400);
      const error = restError(answer.body);
      expect(error.code).toBe("bad_request");
      expect(error.message.startsWith(`${field}: `), error.message).toBe(true);
      for (const id of allowed) expect(error.message).toContain(id);
    }
    expect(await db.exportAuditEvent.count({ where: { teamId: seeded.team.id } })).toBe(0);
  });
});

describe("tRPC export procedures with a format and a compression", () => {
  it("metrics.export and exports.start with gzip: the job and the audit log keep both fields, and the file gunzips to the CSV", async () => {
    const { team, metric } = await metricTeam();
    const started = await team.trpc.metrics.export({ teamId: team.id, metricId: metric.id, compression: "gzip" });
    expect(started.job).toMatchObject({ format: "csv", compression: "gzip", status: "PENDING" });
    const done = await manage.waitForExport(team.id, started.exportId, { timeoutMs: 60_000 });
    expect(done).toMatchObject({ status: "COMPLETED", format: "csv", compression: "gzip" });
    const link = await team.trpc.exports.downloadUrl({ teamId: team.id, exportId: started.exportId });
    expect(link.fileName).toMatch(/\.csv\.gz$/);
    const gz = await fetchFile(link.url);
    expect(gz.headers.get("content-type")).toBe("application/gzip");
    expect(gz.headers.get("content-encoding")).toBeNull();

    const plain = await team.trpc.exports.start({ teamId: team.id, target: { kind: "metric", metricId: metric.id } });
    expect(plain.job).toMatchObject({ format: "csv" });
    expect(plain.job.compression).toBeUndefined();
    await manage.waitForExport(team.id, plain.exportId, { timeoutMs: 60_000 });
    const csv = await fetchFile((await team.trpc.exports.downloadUrl({ teamId: team.id, exportId: plain.exportId })).url);
    expect(gunzipSync(gz.bytes).equals(csv.bytes)).toBe(true);

    expect(await db.exportAuditEvent.findUniqueOrThrow({ where: { exportId: started.exportId } })).toMatchObject({ format: "csv", compression: "gzip", channel: "UI" });
    const audit = await team.trpc.audit.list({ teamId: team.id, limit: 10 });
    expect(audit.items.find((event) => event.exportId === started.exportId)).toMatchObject({ format: "csv", compression: "gzip" });

  });

  it("a retry writes the file that the failed export was to be", async () => {
    const { team, metric } = await metricTeam("SELEKT nonsense");
    const started = await team.trpc.metrics.export({ teamId: team.id, metricId: metric.id, format: "csv", compression: "gzip" });
    expect(await manage.waitForExport(team.id, started.exportId, { timeoutMs: 60_000 })).toMatchObject({ status: "FAILED", errorCode: "QUERY_FAILED" });
    const retried = await team.trpc.exports.retry({ teamId: team.id, exportId: started.exportId });
    expect(retried).toMatchObject({ format: "csv", compression: "gzip" });
    expect(await db.exportAuditEvent.findUniqueOrThrow({ where: { exportId: retried.id } })).toMatchObject({ format: "csv", compression: "gzip" });
  });

  it("refuses a bad format or compression as BAD_REQUEST naming the field and listing what is allowed", async () => {
    const { team, metric } = await metricTeam();
    const attempts: [Promise<unknown>, string, string[]][] = [
      [team.trpc.metrics.export({ teamId: team.id, metricId: metric.id, format: "xml" as FormatId }), "format", formatIds],
      [team.trpc.exports.start({ teamId: team.id, target: { kind: "metric", metricId: metric.id }, compression: "zip" as "gzip" }), "compression", compressionIds],
      ...formatsWithoutCompression.map((format): [Promise<unknown>, string, string[]] => [
        team.trpc.exports.start({ teamId: team.id, target: { kind: "metric", metricId: metric.id }, format, compression: "gzip" }),
        "compression",
        [],
      ]),
    ];
    for (const [attempt, field, allowed] of attempts) {
      const error = (await attempt.then(() => null, (e: unknown) => e)) as { code: string; cause: ZodError } | null;
      expect(error?.code).toBe("BAD_REQUEST");
      const issue = error!.cause.issues.find((i) => i.path[0] === field);
      expect(issue, JSON.stringify(error!.cause.issues)).toBeDefined();
      for (const id of allowed) expect(issue!.message).toContain(id);
    }
    expect(await db.exportAuditEvent.count({ where: { teamId: team.id } })).toBe(0);
  });
});

describe("the file options schema", () => {
  it("refuses a compression on a format that takes none, listing none, and names a format's allowed compressions otherwise", async () => {
    const { refineFileOptions } = await import("~/server/exports/formats/file-options");
    const issues: { path: PropertyKey[]; message: string }[] = [];
    const ctx = { addIssue: (issue: { path: PropertyKey[]; message: string }) => issues.push(issue) } as unknown as Parameters<typeof refineFileOptions>[1];
    for (const format of formatIds) refineFileOptions({ format, compression: "gzip" }, ctx);
    const refused = formatIds.filter((id) => !exportFormats[id].compressions.includes("gzip"));
    expect(issues.map((issue) => issue.message)).toEqual(refused.map((id) => `${id} files take no compression; leave it out`));
    expect(exportFileType({ format: "csv", compression: "gzip" })).toMatchObject({ extension: "csv.gz", contentType: "application/gzip" });
  });
});

describe("OpenAPI", () => {
  it("describes format and compression, with the registry's values, on the metric download and every export-visits POST", async () => {
    const { openApiDocument } = await import("~/server/rest/openapi");
    const { allKindDefinitions } = await import("~/server/exports/kinds");
    const doc = openApiDocument() as unknown as { paths: Record<string, Record<string, { parameters: { name: string; in: string; schema: { enum?: string[] } }[]; requestBody?: { content: Record<string, { schema: { properties: Record<string, { enum?: string[] }> } }> } }>> };
    const visitPaths = allKindDefinitions.flatMap((kind) => (kind.rest ? [kind.rest.path] : []));
    expect(visitPaths.length).toBeGreaterThan(0);
    for (const [path, method] of [["/api/v2/metric_files/{id}/download", "get"], ...visitPaths.map((p) => [p, "post"])] as const) {
      const operation = doc.paths[path]![method]!;
      const queryEnum = (name: string) => operation.parameters.find((p) => p.in === "query" && p.name === name)?.schema.enum;
      expect(queryEnum("format"), path).toEqual(formatIds);
      expect(queryEnum("compression"), path).toEqual(compressionIds);
      if (method === "post") {
        const body = operation.requestBody!.content["application/json"]!.schema.properties;
        expect(body.format?.enum).toEqual(formatIds);
        expect(body.compression?.enum).toEqual(compressionIds);
      }
    }
  });
});
