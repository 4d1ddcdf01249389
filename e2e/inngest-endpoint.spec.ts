import { createHash, randomBytes } from "node:crypto";
import { connect } from "node:net";

import { expect, test } from "@playwright/test";

import { e2eEnv } from "../playwright.config";
import { listObjects, query } from "./support/services";

// Issue 17's attack on the app as `npm start` runs it (scripts/start.ts): a forged call to run
// "query and upload" with a forged "load metric" result. The rest of the suite's exports prove
// that the executor's signed calls still run.

const stepId = (name: string) => createHash("sha1").update(name).digest("hex");

test("the built app refuses an unsigned step call with 401 and writes nothing", async ({ request }) => {
  const [metric] = await query<{ id: string; teamId: string }>(`SELECT id, "teamId" FROM "Metric" ORDER BY "createdAt" LIMIT 1`);
  expect(metric).toBeDefined();
  const key = `exports/${metric!.teamId}/${randomBytes(16).toString("hex")}/forged.csv`;
  const event = { name: "export/metric.requested", id: "forged", ts: Date.now(), data: { exportId: "forged", teamId: metric!.teamId, userId: "forged", metricId: metric!.id } };
  const loadMetric = stepId("load metric");
  const body = {
    event,
    events: [event],
    steps: { [loadMetric]: { data: { plan: { metricId: metric!.id }, key, fileName: "forged.csv" } } },
    ctx: { run_id: "forged", attempt: 0, stack: { stack: [loadMetric], current: 1 } },
  };
  const url = `/api/inngest?fnId=export-center-export-metric-data&stepId=${stepId("query and upload")}`;

  const forgeries: Record<string, string>[] = [{}, { "x-inngest-signature": `t=${Math.floor(Date.now() / 1000)}&s=${"0".repeat(64)}` }];
  for (const headers of forgeries) {
    const response = await request.post(url, { data: body, headers });
    expect(response.status()).toBe(401);
    expect(await response.json()).toEqual({ message: "Unauthorized" });
  }
  // A step that ran would have streamed the metric's rows to the forged key by now.
  await new Promise((r) => setTimeout(r, 1500));
  expect(await listObjects(key)).toEqual([]);
});

test("the app listens on 127.0.0.1 only", async () => {
  const connectTo = (host: string) =>
    new Promise<string>((resolve) => {
      const socket = connect({ host, port: Number(e2eEnv.PORT) });
      const done = (outcome: string) => {
        socket.destroy();
        resolve(outcome);
      };
      socket.once("connect", () => done("connected"));
      socket.once("error", (error: NodeJS.ErrnoException) => done(error.code ?? error.message));
      socket.setTimeout(5000, () => done("timeout"));
    });
  expect(await connectTo("127.0.0.1")).toBe("connected");
  // Every 127.x address is this machine, but only a server bound to all addresses answers here.
  expect(await connectTo("127.0.0.2")).toBe("ECONNREFUSED");
});
