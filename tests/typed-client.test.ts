/**
 * The typed client (src/client) against the app over real HTTP: the app's tRPC route handler
 * on a port of its own, with the export harness's executor, s3rver, PostgreSQL and Redis.
 * The example app (examples/node-client) runs as a child process with a fresh API token,
 * exactly as another project would run it.
 */
import { execFile } from "node:child_process";
import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import { promisify } from "node:util";

import { build } from "esbuild";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

import { type ExportHarness, startExportHarness } from "./support/export-harness";
import { serveFetch } from "./support/serve-fetch";
import { TEST_SOURCE_DATABASE_URL as PG_URL } from "./support/test-env";


let harness: ExportHarness;
let server: Server;
let appUrl: string;
let app: typeof import("./support/export-app");
let fixtures: typeof import("./support/fixtures");
let clientModule: typeof import("../src/client");

beforeAll(async () => {
  harness = await startExportHarness();
  app = await import("./support/export-app");
  fixtures = await import("./support/fixtures");
  clientModule = await import("../src/client");
  const trpcRoute = await import("~/app/api/trpc/[trpc]/route");
  server = await serveFetch((req) => (req.method === "GET" ? trpcRoute.GET(req) : trpcRoute.POST(req)));
  appUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}, 120_000);

afterAll(async () => {
  server?.closeAllConnections();
  await new Promise((resolve) => server?.close(resolve));
  await harness?.close();
});

async function teamWithToken() {
  const team = await app.teamWithSource("POSTGRES", { url: PG_URL });
  const token = await fixtures.tokenFor(team.user.id, team.id);
  return { team, token, client: clientModule.createExportCenterClient({ url: appUrl, token }) };
}

describe("the example app (examples/node-client)", () => {
  it("exports a metric with a fresh token: progress, download, and a file that matches the job", async () => {
    const { team, token } = await teamWithToken();
    const metric = await team.metric("SELECT g AS n, 'row ' || g || ', \"quoted\"' AS label FROM generate_series(1, 2500) AS g ORDER BY g");

    const { stdout, stderr } = await promisify(execFile)(
      "npx",
      ["tsx", "--tsconfig", "examples/node-client/tsconfig.json", "examples/node-client/src/main.ts", team.id, metric.id],
      { env: { ...process.env, EXPORT_CENTER_URL: appUrl, EXPORT_CENTER_TOKEN: token }, timeout: 90_000 },
    );

    expect(stdout).toMatch(/^started export [\w-]+ \(PENDING\)$/m);
    expect(stdout).toMatch(/^progress COMPLETED \S+ rows=2500 bytes=\d+$/m);
    expect(stdout).toMatch(/^downloaded [\w-]+_\d+\.csv: 2500 rows, \d+ bytes, header: n,label$/m);
    expect(stdout).toMatch(/^ok$/m);
    expect(stdout + stderr).not.toContain(token);
    // Started through the typed client, and recorded as such.
    const exportId = /^started export ([\w-]+)/m.exec(stdout)![1]!;
    const job = await team.trpc.exports.get({ teamId: team.id, exportId });
    expect(job).toMatchObject({ status: "COMPLETED", channel: "CLIENT", file: { rowCount: 2500, truncated: false } });
  });

  it("with --gzip, downloads the .csv.gz and counts the rows inside", async () => {
    const { team, token } = await teamWithToken();
    const metric = await team.metric("SELECT g AS n, 'row ' || g AS label FROM generate_series(1, 2500) AS g ORDER BY g");
    const { stdout } = await promisify(execFile)(
      "npx",
      ["tsx", "--tsconfig", "examples/node-client/tsconfig.json", "examples/node-client/src/main.ts", team.id, metric.id, "--gzip"],
      { env: { ...process.env, EXPORT_CENTER_URL: appUrl, EXPORT_CENTER_TOKEN: token }, timeout: 90_000 },
    );
    expect(stdout).toMatch(/^downloaded [\w-]+_\d+\.csv\.gz: 2500 rows, \d+ bytes, header: n,label$/m);
    const exportId = /^started export ([\w-]+)/m.exec(stdout)![1]!;
    expect(await team.trpc.exports.get({ teamId: team.id, exportId })).toMatchObject({ format: "csv", compression: "gzip", channel: "CLIENT" });
  });

  it("fails with the database's message and a non-zero exit when the metric's SQL is broken", async () => {
    const { team, token } = await teamWithToken();
    const metric = await team.metric("SELECT * FROM no_such_table_for_the_client");
    const run = promisify(execFile)(
      "npx",
      ["tsx", "--tsconfig", "examples/node-client/tsconfig.json", "examples/node-client/src/main.ts", team.id, metric.id],
      { env: { ...process.env, EXPORT_CENTER_URL: appUrl, EXPORT_CENTER_TOKEN: token }, timeout: 90_000 },
    );
    await expect(run).rejects.toMatchObject({ code: 1, stderr: expect.stringContaining('export FAILED: Export') as unknown });
    await expect(run).rejects.toMatchObject({ stderr: expect.stringContaining('relation "no_such_table_for_the_client" does not exist') as unknown });
  });
});

describe("createExportCenterClient", () => {
  it("waits through the progress stream and resolves with the finished job", async () => {
    const { team, client } = await teamWithToken();
    const metric = await team.metric("SELECT g FROM generate_series(1, 100) AS g");
    const started = await client.exportMetric(team.id, metric.id);
    const seen: string[] = [];
    const job = await client.waitForExport(team.id, started.id, { onProgress: (j) => seen.push(j.status) });
    expect(job).toMatchObject({ id: started.id, status: "COMPLETED", file: { rowCount: 100 } });
    expect(seen.at(-1)).toBe("COMPLETED");
    const link = await client.downloadUrl(team.id, job.id);
    expect(link).toMatchObject({ rowCount: 100, truncated: false });
    expect((await (await fetch(link.url)).text()).split("\r\n")[0]).toBe("g");
  });

  it("exports a chosen version of a metric, and lists the versions", async () => {
    const { team, client } = await teamWithToken();
    const metric = await team.metric("SELECT g FROM generate_series(1, 4) AS g");
    await team.trpc.metrics.update({ teamId: team.id, metricId: metric.id, sql: "SELECT g FROM generate_series(1, 9) AS g" });
    expect((await client.trpc.metrics.versions.query({ teamId: team.id, metricId: metric.id })).map((v) => v.number)).toEqual([2, 1]);
    const started = await client.exportMetric(team.id, metric.id, { metricVersionNumber: 1 });
    expect(started.resourceVersion).toBe(1);
    const job = await client.waitForExport(team.id, started.id);
    expect(job).toMatchObject({ status: "COMPLETED", resourceVersion: 1, file: { rowCount: 4 } });
  });

  it("rejects with ExportFailedError (FAILED, with the reason) for broken SQL", async () => {
    const { team, client } = await teamWithToken();
    const metric = await team.metric("SELECT * FROM nope_not_here");
    const started = await client.exportMetric(team.id, metric.id);
    const error = await client.waitForExport(team.id, started.id).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(clientModule.ExportFailedError);
    expect(error).toMatchObject({ status: "FAILED", job: { id: started.id } });
    expect((error as Error).message).toContain('relation "nope_not_here" does not exist');
  });

  it("rejects with ExportFailedError (CANCELLED) when the export is cancelled while it runs", async () => {
    const { team, client } = await teamWithToken();
    const metric = await team.metric("SELECT pg_sleep(20), 1 AS done");
    const started = await client.exportMetric(team.id, metric.id);
    // onProgress sees PROCESSING more than once; only the first cancels, as a second would be refused.
    let cancelling: Promise<unknown> | undefined;
    const waiting = client.waitForExport(team.id, started.id, {
      onProgress: (job) => {
        if (job.status === "PROCESSING") cancelling ??= client.trpc.exports.cancel.mutate({ teamId: team.id, exportId: started.id });
      },
    });
    await expect(waiting).rejects.toMatchObject({ name: "ExportFailedError", status: "CANCELLED" });
    await expect(cancelling).resolves.toMatchObject({ id: started.id });
  });

  it("falls back to polling when the progress stream cannot connect", async () => {
    const { team, token } = await teamWithToken();
    // Only the SSE requests fail, as behind a proxy that buffers or drops event streams.
    const noStreams: typeof fetch = (input, init) =>
      String(input instanceof Request ? input.url : input).includes("exports.onProgress") ? Promise.reject(new TypeError("stream blocked")) : fetch(input, init);
    const client = clientModule.createExportCenterClient({ url: appUrl, token, fetch: noStreams });
    const metric = await team.metric("SELECT g FROM generate_series(1, 10) AS g");
    const started = await client.exportMetric(team.id, metric.id);
    const job = await client.waitForExport(team.id, started.id);
    expect(job).toMatchObject({ status: "COMPLETED", file: { rowCount: 10 } });
  });

  it("stops waiting when its signal aborts, with the signal's reason; the export goes on", async () => {
    const { team, client } = await teamWithToken();
    const metric = await team.metric("SELECT pg_sleep(2), 1 AS done");
    const started = await client.exportMetric(team.id, metric.id);
    const reason = new Error("the caller gave up");
    await expect(client.waitForExport(team.id, started.id, { signal: abortAfter(300, reason) })).rejects.toBe(reason);
    expect((await client.waitForExport(team.id, started.id)).status).toBe("COMPLETED");
  });

  it("starts an export of any kind with startExport (exports.start), taking the kind's own input", async () => {
    const { seedVisits } = await import("./support/visit-fixtures");
    const seeded = await seedVisits({ views: 2 });
    const client = clientModule.createExportCenterClient({ url: appUrl, token: await fixtures.tokenFor(seeded.user.id, seeded.team.id) });
    const visits = await client.startExport(seeded.team.id, { kind: "document", documentId: seeded.document.id });
    expect(visits).toMatchObject({ type: "document", resourceId: seeded.document.id, resourceName: seeded.document.name, channel: "CLIENT" });
    const group = await client.startExport(seeded.team.id, { kind: "dataroom-group", dataroomId: seeded.dataroom.id, groupId: seeded.investors.id }, { requestId: "group-once" });
    expect(group).toMatchObject({ type: "dataroom-group", resourceId: seeded.dataroom.id, groupId: seeded.investors.id });
    // The same requestId reaches the same export.
    expect(await client.startExport(seeded.team.id, { kind: "dataroom-group", dataroomId: seeded.dataroom.id, groupId: seeded.investors.id }, { requestId: "group-once" })).toMatchObject({ id: group.id });
    expect(await client.waitForExport(seeded.team.id, visits.id)).toMatchObject({ status: "COMPLETED", file: { rowCount: 2 } });
    expect(await client.waitForExport(seeded.team.id, group.id)).toMatchObject({ status: "COMPLETED" });

    // Each kind's schema applies: a group export names its group.
    const missing = { kind: "dataroom-group", dataroomId: seeded.dataroom.id } as unknown as Parameters<typeof client.startExport>[1];
    await expect(client.startExport(seeded.team.id, missing)).rejects.toMatchObject({ data: { code: "BAD_REQUEST" } });
    // Another last character than its own: an id that ends in "x" already would still name the room.
    const unknownRoom = seeded.otherRoom.id.slice(0, -1) + (seeded.otherRoom.id.endsWith("x") ? "y" : "x");
    await expect(client.startExport(seeded.team.id, { kind: "dataroom", dataroomId: unknownRoom })).rejects.toMatchObject({ data: { code: "NOT_FOUND" } });
  });

  it("passes the file's format and compression through exportMetric, startExport and exportVisits", async () => {
    const { seedVisits } = await import("./support/visit-fixtures");
    const seeded = await seedVisits({ views: 1 });
    const client = clientModule.createExportCenterClient({ url: appUrl, token: await fixtures.tokenFor(seeded.user.id, seeded.team.id) });
    const byKind = await client.exportVisits({ teamId: seeded.team.id, documentId: seeded.document.id, compression: "gzip" });
    const byTarget = await client.startExport(seeded.team.id, { kind: "dataroom", dataroomId: seeded.dataroom.id }, { format: "csv", compression: "gzip" });
    for (const job of [byKind, byTarget]) {
      expect(job).toMatchObject({ format: "csv", compression: "gzip" });
      expect((await client.waitForExport(seeded.team.id, job.id)).file?.name).toMatch(/\.csv\.gz$/);
    }
    const { team, client: metricClient } = await teamWithToken();
    const metric = await team.metric("SELECT 1 AS one");
    expect(await metricClient.exportMetric(team.id, metric.id, { compression: "gzip" })).toMatchObject({ format: "csv", compression: "gzip" });
    await expect(metricClient.exportMetric(team.id, metric.id, { format: "xml" as "csv" })).rejects.toMatchObject({
      data: { code: "BAD_REQUEST", zodError: { fieldErrors: { format: [expect.stringContaining("must be one of csv")] } } },
    });
  });

  it("is refused with the server's code for another team's export, without polling on", async () => {
    const { client } = await teamWithToken();
    const other = await teamWithToken();
    const metric = await other.team.metric("SELECT 1");
    const theirs = await other.client.exportMetric(other.team.id, metric.id);
    await expect(client.waitForExport(other.team.id, theirs.id)).rejects.toMatchObject({ data: { code: "FORBIDDEN" } });
  });
});

describe("the client's bundle", () => {
  it("holds no server code: the router is a type-only import", async () => {
    const result = await build({
      entryPoints: ["src/client/index.ts"],
      bundle: true,
      packages: "external",
      platform: "neutral",
      format: "esm",
      write: false,
      metafile: true,
      logLevel: "silent",
    });
    const sources = Object.keys(result.metafile.inputs);
    expect(sources.sort()).toEqual(["src/client/export-center-client.ts", "src/client/index.ts"]);
    const packages = new Set(Object.values(result.metafile.inputs).flatMap((input) => input.imports.filter((i) => i.external).map((i) => i.path)));
    expect([...packages].sort()).toEqual(["@trpc/client", "eventsource", "superjson"]);
  });
});

function abortAfter(ms: number, reason: Error): AbortSignal {
  const controller = new AbortController();
  setTimeout(() => controller.abort(reason), ms);
  return controller.signal;
}
