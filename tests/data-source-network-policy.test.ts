/**
 * The data-source network policy as production runs it (NODE_ENV=production, without
 * DATA_SOURCE_ALLOW_PRIVATE_NETWORKS): saving or testing a source whose host resolves to this
 * machine, a private network or a cloud metadata address is refused over tRPC with BAD_REQUEST,
 * and nothing is stored. The environment is set before the app's modules are imported.
 */
import { TRPCError } from "@trpc/server";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";

import { TEST_SOURCE_DATABASE_URL } from "./support/test-env";

let fixtures: typeof import("./support/fixtures");
let db: typeof import("~/server/db").db;

beforeAll(async () => {
  vi.stubEnv("NODE_ENV", "production");
  vi.stubEnv("DATA_SOURCE_ALLOW_PRIVATE_NETWORKS", "");
  // Production requires the app's public address.
  vi.stubEnv("AUTH_URL", "https://exports.example.com");
  fixtures = await import("./support/fixtures");
  ({ db } = await import("~/server/db"));
});

afterAll(() => {
  vi.unstubAllEnvs();
});

describe("data sources in production", () => {
  it("may not reach loopback, private or link-local addresses, by address or by name", async () => {
    const { team, user } = await fixtures.createTeamWithUser("OWNER");
    const trpc = fixtures.trpcAs(fixtures.sessionCaller(user.id));
    const local = new URL(TEST_SOURCE_DATABASE_URL);
    const refused: [string, Record<string, unknown>, RegExp][] = [
      ["POSTGRES", { url: local.toString() }, /^The host "127\.0\.0\.1" resolves to a loopback address/],
      ["POSTGRES", { host: "localhost", database: "metrics", user: "reader" }, /^The host "localhost" resolves to a loopback address/],
      ["POSTGRES", { url: "postgresql://reader@[::ffff:127.0.0.1]:5432/metrics" }, /resolves to a loopback address/],
      ["MYSQL", { url: "mysql://reader@10.20.30.40:3306/metrics" }, /^The host "10\.20\.30\.40" resolves to a private network address/],
      ["MYSQL", { url: "mysql://reader@169.254.169.254:3306/metrics" }, /resolves to a link-local address \(where cloud metadata services live\)/],
      ["POSTGRES", { url: "postgresql://reader@100.64.0.9:5432/metrics" }, /resolves to a carrier-grade NAT address/],
    ];
    for (const [type, credentials, message] of refused) {
      const input = { teamId: team.id, type: type as "POSTGRES" | "MYSQL", credentials };
      const error = await trpc.dataSources.create({ ...input, name: fixtures.uniqueName("private") }).catch((e: unknown) => e);
      expect(error, JSON.stringify(credentials)).toBeInstanceOf(TRPCError);
      expect((error as TRPCError).code).toBe("BAD_REQUEST");
      expect((error as TRPCError).message).toMatch(message);
      expect((error as TRPCError).message).toContain("DATA_SOURCE_ALLOW_PRIVATE_NETWORKS=true");
      // Testing unsaved credentials connects, so it meets the same check.
      expect(await trpc.dataSources.test(input)).toEqual({ ok: false, error: (error as TRPCError).message });
    }
    expect(await db.dataSource.count({ where: { teamId: team.id } })).toBe(0);
  });

  it("are allowed private networks when the operator says so", async () => {
    const { parseEnv } = await import("~/env");
    const { sourceTargetPolicy } = await import("~/server/data-sources/source-target-policy");
    const production = { ...process.env, NODE_ENV: "production" };
    expect(sourceTargetPolicy(parseEnv(production)).allowPrivateNetworks).toBe(false);
    expect(sourceTargetPolicy(parseEnv({ ...production, DATA_SOURCE_ALLOW_PRIVATE_NETWORKS: "true" })).allowPrivateNetworks).toBe(true);
    expect(sourceTargetPolicy(parseEnv({ ...production, NODE_ENV: "development" })).allowPrivateNetworks).toBe(true);
  });
});
