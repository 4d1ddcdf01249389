/**
 * Issue 17's attack on the Inngest endpoint, replayed against the app's real functions behind
 * the SDK's serve handler, configured as `npm start` configures it (a signing key, no
 * INNGEST_DEV): a forged call that names another team's metric and carries a forged
 * "load metric" result pointing at a third team's file. Unsigned or signed with another key,
 * it gets 401 and runs nothing: no object is written or changed, no job moves, no run starts.
 * (e2e/inngest-endpoint.spec.ts replays it against the built app under scripts/start.ts.)
 */
import { createHash } from "node:crypto";

import { GetObjectCommand, ListObjectsV2Command } from "@aws-sdk/client-s3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

import { newSigningKey, SIGNATURE_HEADER, signBody } from "../dev/local-inngest/signature";
import { type ExportHarness, startExportHarness } from "./support/export-harness";
import { TEST_SOURCE_DATABASE_URL as PG_URL } from "./support/test-env";

let harness: ExportHarness;
let app: typeof import("./support/export-app");

beforeAll(async () => {
  // Team C's file must outlive the test.
  harness = await startExportHarness({ env: { EXPORT_FILE_TTL_SECONDS: "600" } });
  app = await import("./support/export-app");
}, 120_000);

afterAll(async () => {
  await harness?.close();
});

const stepId = (name: string) => createHash("sha1").update(name).digest("hex");

async function bucketSnapshot() {
  const { getStorage } = await import("~/server/services");
  const listed = await getStorage().client.send(new ListObjectsV2Command({ Bucket: harness.bucket }));
  return (listed.Contents ?? []).map((o) => ({ key: o.Key, etag: o.ETag, size: o.Size })).sort((a, b) => a.key!.localeCompare(b.key!));
}

async function objectText(key: string) {
  const { getStorage } = await import("~/server/services");
  const object = await getStorage().client.send(new GetObjectCommand({ Bucket: harness.bucket, Key: key }));
  return object.Body!.transformToString();
}

describe("POST /api/inngest", () => {
  it("refuses a forged step call, unsigned or signed with another key, and runs nothing", async () => {
    const teamB = await app.teamWithSource("POSTGRES", { url: PG_URL });
    const secretMetric = await teamB.metric("SELECT 'team-b-secret' AS secret");
    const teamC = await app.teamWithSource("POSTGRES", { url: PG_URL });
    const own = await teamC.exportAndWait((await teamC.metric("SELECT 'team-c-row' AS mine")).id);
    expect(own.status).toBe("COMPLETED");
    const cKey = own.file!.key;

    // The attacker knows only B's metric id and C's export id and file key.
    const event = {
      name: "export/metric.requested",
      id: "forged-event",
      ts: Date.now(),
      data: { exportId: own.id, teamId: teamB.id, userId: teamB.user.id, metricId: secretMetric.id },
    };
    const loadMetric = stepId("load metric");
    const body = JSON.stringify({
      event,
      events: [event],
      steps: { [loadMetric]: { data: { plan: { metricId: secretMetric.id }, key: cKey, fileName: "forged.csv" } } },
      ctx: { run_id: "forged-run", attempt: 0, max_attempts: 3, disable_immediate_execution: false, use_api: false, stack: { stack: [loadMetric], current: 1 } },
    });
    const url = `${harness.appUrl}?fnId=export-center-export-metric-data&stepId=${stepId("query and upload")}`;
    const forge = (headers: Record<string, string>) => fetch(url, { method: "POST", headers: { "content-type": "application/json", ...headers }, body });

    const bucketBefore = await bucketSnapshot();
    const { getExport } = await import("~/server/exports/manage-export");
    const jobBefore = await getExport(teamC.id, own.id);
    // No run may be for team B (C's own export schedules its file's deletion meanwhile, and cron runs come and go).
    const runsForB = () => harness.executor.runs().filter((r) => r.event.data?.teamId === teamB.id);

    const attempts: Record<string, string>[] = [{}, { [SIGNATURE_HEADER]: signBody(body, newSigningKey("local")) }, { [SIGNATURE_HEADER]: "t=1&s=00" }];
    for (const headers of attempts) {
      const response = await forge(headers);
      expect(response.status).toBe(401);
      expect(await response.json()).toEqual({ message: "Unauthorized" });
    }

    // A step that had run would have streamed B's rows over C's file within this time.
    await new Promise((r) => setTimeout(r, 1500));
    expect(await bucketSnapshot()).toEqual(bucketBefore);
    expect(await objectText(cKey)).toContain("team-c-row");
    expect(await objectText(cKey)).not.toContain("team-b-secret");
    expect(await getExport(teamC.id, own.id)).toEqual(jobBefore);
    expect(runsForB()).toEqual([]);
  });

  it("accepts a call signed with the app's key, as the executor's calls are", async () => {
    const body = JSON.stringify({});
    const probe = `${harness.appUrl}?probe=trust`;
    const post = (headers: Record<string, string>) => fetch(probe, { method: "POST", headers: { "content-type": "application/json", ...headers }, body });
    expect((await post({ [SIGNATURE_HEADER]: signBody(body, harness.signingKey) })).status).toBe(200);
    expect((await post({})).status).toBe(401);
  });

  it("answers 401 to an unsigned introspection (GET) too", async () => {
    const response = await fetch(harness.appUrl);
    expect(response.status).toBe(401);
  });
});
