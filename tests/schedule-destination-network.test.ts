/**
 * The customer's-bucket destination under the network policy as production runs it
 * (NODE_ENV=production, without DESTINATIONS_ALLOW_PRIVATE_NETWORKS): an S3 endpoint on the
 * metadata address, loopback, a private network, or a name that resolves to loopback is refused
 * where it is written (REST and tRPC create, Test destination; a webhook's or Slack's URL too),
 * and where it is called: a
 * schedule whose stored endpoint is one of those (saved before the policy changed, say)
 * records each delivery FAILED with the reason, at once, and a server listening on the
 * loopback addresses receives no request at all. Data sources stay allowed on this machine
 * (DATA_SOURCE_ALLOW_PRIVATE_NETWORKS), so that the run has a file to deliver.
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";

import { TRPCError } from "@trpc/server";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { type ZodError } from "zod";

import { type ExportHarness, startExportHarness } from "./support/export-harness";
import { restError } from "./support/rest-error";
import { TEST_SOURCE_DATABASE_URL as PG_URL } from "./support/test-env";

let listener: Server;
let requests = 0;
let port: number;
let harness: ExportHarness;
let app: typeof import("./support/export-app");
let fixtures: typeof import("./support/fixtures");
let db: typeof import("~/server/db").db;

beforeAll(async () => {
  vi.stubEnv("NODE_ENV", "production");
  vi.stubEnv("DESTINATIONS_ALLOW_PRIVATE_NETWORKS", "");
  vi.stubEnv("DATA_SOURCE_ALLOW_PRIVATE_NETWORKS", "true");
  vi.stubEnv("AUTH_URL", "https://exports.example.test");
  listener = createServer((_req, res) => {
    requests += 1;
    res.writeHead(200).end();
  });
  await new Promise<void>((r) => listener.listen(0, "127.0.0.1", r));
  port = (listener.address() as AddressInfo).port;
  harness = await startExportHarness();
  app = await import("./support/export-app");
  fixtures = await import("./support/fixtures");
  ({ db } = await import("~/server/db"));
}, 120_000);

afterAll(async () => {
  await harness?.close();
  await new Promise((r) => listener?.close(r));
  vi.unstubAllEnvs();
});

const refused = () =>
  [
    [`http://169.254.169.254/`, /"169\.254\.169\.254" resolves to a link-local address/],
    [`http://127.0.0.1:${port}`, /"127\.0\.0\.1" resolves to a loopback address/],
    [`http://10.0.0.1`, /"10\.0\.0\.1" resolves to a private network address/],
    [`http://localhost:${port}`, /"localhost" resolves to a loopback address/],
  ] as const;

const s3 = (endpoint: string) => ({ type: "s3" as const, bucket: "customer-bucket", region: "us-east-1", endpoint, forcePathStyle: true, accessKeyId: "AKIAEXAMPLE", secretAccessKey: "customer-secret" });

const scheduleInput = (metricId: string, endpoint: string) => ({
  name: "Nightly to their bucket",
  export: { kind: "metric" as const, metricId },
  format: "csv" as const,
  cron: "0 3 * * *",
  timezone: "UTC",
  enabled: true,
  destinations: [s3(endpoint)],
});

describe("a destination on an internal address, in production", () => {
  it("an S3 endpoint is refused at create, over REST and tRPC, naming destinations.0.endpoint, and at Test destination; nothing is stored or sent", async () => {
    const team = await app.teamWithSource("POSTGRES", { url: PG_URL });
    const metric = await team.metric("SELECT 1 AS n");
    const token = await fixtures.tokenFor(team.user.id, team.id);
    const { POST } = await import("~/app/api/teams/[teamId]/schedules/route");
    for (const [endpoint, reason] of refused()) {
      const res = await POST(
        new Request(`https://exports.example.test/api/teams/${team.id}/schedules`, {
          method: "POST",
          headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
          body: JSON.stringify(scheduleInput(metric.id, endpoint)),
        }),
        { params: Promise.resolve({ teamId: team.id }) },
      );
      expect(res.status, endpoint).toBe(400);
      const { code, message } = restError(await res.json());
      expect(code).toBe("bad_request");
      expect(message).toMatch(new RegExp(`^destinations\\.0\\.endpoint: The host ${reason.source}`));
      expect(message).toContain("DESTINATIONS_ALLOW_PRIVATE_NETWORKS=true");

      const created = await team.trpc.schedules.create({ teamId: team.id, schedule: scheduleInput(metric.id, endpoint) }).catch((e: unknown) => e);
      expect(created).toBeInstanceOf(TRPCError);
      expect((created as TRPCError).code).toBe("BAD_REQUEST");
      expect(((created as TRPCError).cause as ZodError).issues).toEqual([expect.objectContaining({ path: ["schedule", "destinations", 0, "endpoint"], message: expect.stringMatching(reason) })]);

      const tested = await team.trpc.schedules.testDestination({ teamId: team.id, destination: s3(endpoint) }).catch((e: unknown) => e);
      expect((tested as TRPCError).code, endpoint).toBe("BAD_REQUEST");
      expect(((tested as TRPCError).cause as ZodError).issues[0]).toMatchObject({ path: ["destination", "endpoint"], message: expect.stringMatching(reason) });
    }
    expect(await db.schedule.count({ where: { teamId: team.id } })).toBe(0);
    expect(requests).toBe(0);
  }, 60_000);

  it("a webhook or Slack URL is refused at create too, at its own field", async () => {
    const team = await app.teamWithSource("POSTGRES", { url: PG_URL });
    const metric = await team.metric("SELECT 1 AS n");
    const cases = [
      [{ type: "webhook" as const, url: `http://127.0.0.1:${port}/hook` }, "url", /"127\.0\.0\.1" resolves to a loopback address/],
      [{ type: "slack" as const, webhookUrl: `http://localhost:${port}/services/T/B/X` }, "webhookUrl", /"localhost" resolves to a loopback address/],
    ] as const;
    for (const [destination, field, reason] of cases) {
      const created = await team.trpc.schedules.create({ teamId: team.id, schedule: { ...scheduleInput(metric.id, ""), destinations: [destination] } }).catch((e: unknown) => e);
      expect((created as TRPCError).code, field).toBe("BAD_REQUEST");
      expect(((created as TRPCError).cause as ZodError).issues).toEqual([expect.objectContaining({ path: ["schedule", "destinations", 0, field], message: expect.stringMatching(reason) })]);
    }
    expect(await db.schedule.count({ where: { teamId: team.id } })).toBe(0);
    expect(requests).toBe(0);
  }, 60_000);

  it("an S3 delivery to a stored internal endpoint fails at once with the reason, and sends nothing", async () => {
    const team = await app.teamWithSource("POSTGRES", { url: PG_URL });
    const metric = await team.metric("SELECT n FROM generate_series(1, 10) AS n");
    // A name that resolves nowhere passes the check at create; the row is then given the internal endpoints, as a row saved before the policy was would have them.
    const schedule = await team.trpc.schedules.create({ teamId: team.id, schedule: scheduleInput(metric.id, "http://s3.customer.invalid") });
    const { s3Destination } = await import("~/server/schedules/destinations/s3");
    const destinations = refused().map(([endpoint]) => ({ type: "s3", settings: s3Destination.settings(s3(endpoint)) }));
    await db.schedule.update({ where: { id: schedule.id }, data: { destinations } });

    await team.trpc.schedules.runNow({ teamId: team.id, scheduleId: schedule.id });
    await app.waitFor(async () => (await db.scheduleDelivery.count({ where: { run: { scheduleId: schedule.id } } })) === destinations.length, 60_000, 200);
    const run = await db.scheduleRun.findFirstOrThrow({ where: { scheduleId: schedule.id }, include: { deliveries: { orderBy: { destinationIndex: "asc" } } } });
    expect(run.status).toBe("COMPLETED");
    expect(run.deliveries.map((d) => [d.status, d.tries])).toEqual(refused().map(() => ["FAILED", 1]));
    for (const [i, [, reason]] of refused().entries()) expect(run.deliveries[i]!.reason).toMatch(reason);
    expect(requests).toBe(0);
  }, 90_000);
});
