import { TRPCError } from "@trpc/server";
import { beforeAll, describe, expect, it } from "vitest";

import { getEnv } from "~/env";
import { db } from "~/server/db";
import { APP_DATABASE_REFUSED } from "~/server/sources/source-target";
import { CONNECTION_FAILED_MESSAGE } from "~/server/sources/source-errors";
import { sealJson } from "~/server/vault";
import { addMember, createTeamWithUser, sessionCaller, trpcAs, uniqueName } from "./support/fixtures";
import { TEST_DATABASE_URL, TEST_SOURCE_DATABASE_URL, withDatabase, withPassword, withUser } from "./support/test-env";

const PLANTED = "S3cr3t-Planted-Pw!";
const localPostgres = { url: withPassword(TEST_SOURCE_DATABASE_URL, PLANTED) };

describe("data sources and metrics over tRPC", () => {
  let owner: Awaited<ReturnType<typeof createTeamWithUser>>;
  let stranger: Awaited<ReturnType<typeof createTeamWithUser>>;

  beforeAll(async () => {
    owner = await createTeamWithUser("OWNER");
    stranger = await createTeamWithUser("OWNER");
  });

  it("stores credentials encrypted and never returns them", async () => {
    const trpc = trpcAs(sessionCaller(owner.user.id));
    const created = await trpc.dataSources.create({ teamId: owner.team.id, name: uniqueName("pg"), type: "POSTGRES", credentials: localPostgres });
    const listed = await trpc.dataSources.list({ teamId: owner.team.id });
    for (const answer of [created, listed]) {
      expect(JSON.stringify(answer)).not.toContain(PLANTED);
      expect(JSON.stringify(answer)).not.toContain("encryptedCredentials");
    }
    const row = await db.dataSource.findUniqueOrThrow({ where: { id: created.id } });
    expect(row.encryptedCredentials).toMatch(/^v1\./);
    expect(row.encryptedCredentials).not.toContain(PLANTED);
    expect(row.encryptedCredentials).not.toContain("127.0.0.1");
  });

  it("tests a saved source against the real database (trust auth accepts any password)", async () => {
    const trpc = trpcAs(sessionCaller(owner.user.id));
    const source = await trpc.dataSources.create({ teamId: owner.team.id, name: uniqueName("pg"), type: "POSTGRES", credentials: localPostgres });
    expect(await trpc.dataSources.test({ teamId: owner.team.id, dataSourceId: source.id })).toEqual({ ok: true });
  });

  it("reports every failed connection with one message, so that errors cannot map the network, and without the password", async () => {
    const trpc = trpcAs(sessionCaller(owner.user.id));
    const failing = [
      withPassword(withDatabase(TEST_SOURCE_DATABASE_URL, "no_such_database_here"), PLANTED),
      `postgresql://postgres:${PLANTED}@127.0.0.1:1/nowhere`,
      withPassword(withUser(withDatabase(TEST_DATABASE_URL, "nowhere"), "nobody_here"), PLANTED),
      `postgresql://postgres:${PLANTED}@nonexistent.invalid:5432/nowhere`,
    ];
    const results = [];
    for (const url of failing) results.push(await trpc.dataSources.test({ teamId: owner.team.id, type: "POSTGRES", credentials: { url } }));
    expect(results).toEqual(failing.map(() => ({ ok: false, error: CONNECTION_FAILED_MESSAGE })));
  });

  it("refuses to save a data source that is the app's own database, under any name for its host", async () => {
    const trpc = trpcAs(sessionCaller(owner.user.id));
    const teamId = owner.team.id;
    const before = await db.dataSource.count({ where: { teamId } });
    for (const host of ["localhost", "127.0.0.1", "[::1]", "[::ffff:127.0.0.1]", "127.1"]) {
      const url = new URL(TEST_DATABASE_URL);
      url.hostname = host;
      const error = await trpc.dataSources.create({ teamId, name: uniqueName("app"), type: "POSTGRES", credentials: { url: url.toString() } }).catch((e: unknown) => e);
      expect(error, host).toBeInstanceOf(TRPCError);
      expect((error as TRPCError).code, host).toBe("BAD_REQUEST");
      expect((error as TRPCError).message, host).toBe(APP_DATABASE_REFUSED);
      expect(await trpc.dataSources.test({ teamId, type: "POSTGRES", credentials: { url: url.toString() } })).toEqual({ ok: false, error: APP_DATABASE_REFUSED });
    }
    const { hostname: host, port, pathname } = new URL(TEST_DATABASE_URL);
    const fields = { host, port: Number(port || 5432), database: pathname.slice(1), user: "postgres" };
    const asFields = await trpc.dataSources.create({ teamId, name: uniqueName("app"), type: "POSTGRES", credentials: fields }).catch((e: TRPCError) => e);
    expect((asFields as TRPCError).message).toBe(APP_DATABASE_REFUSED);
    expect(await db.dataSource.count({ where: { teamId } })).toBe(before);
  });

  it("checks again on every connection: a stored source that points at the app's own database is refused", async () => {
    const trpc = trpcAs(sessionCaller(owner.user.id));
    const stored = await db.dataSource.create({
      data: { teamId: owner.team.id, name: uniqueName("legacy"), type: "POSTGRES", encryptedCredentials: sealJson({ url: TEST_DATABASE_URL }, getEnv().VAULT_KEY) },
    });
    expect(await trpc.dataSources.test({ teamId: owner.team.id, dataSourceId: stored.id })).toEqual({ ok: false, error: APP_DATABASE_REFUSED });
  });

  it("rejects credentials of the wrong shape with BAD_REQUEST naming the field", async () => {
    const trpc = trpcAs(sessionCaller(owner.user.id));
    const error = await trpc.dataSources
      .create({ teamId: owner.team.id, name: uniqueName("bad"), type: "MYSQL", credentials: { url: "http://nope" } })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TRPCError);
    expect((error as TRPCError).code).toBe("BAD_REQUEST");
    expect((error as TRPCError).message).toMatch(/url/);
  });

  it("lets members create metrics but only admins manage data sources", async () => {
    const member = await addMember(owner.team.id, "MEMBER");
    const asOwner = trpcAs(sessionCaller(owner.user.id));
    const asMember = trpcAs(sessionCaller(member.id));
    const source = await asOwner.dataSources.create({ teamId: owner.team.id, name: uniqueName("pg"), type: "POSTGRES", credentials: localPostgres });
    const error = await asMember.dataSources.delete({ teamId: owner.team.id, dataSourceId: source.id }).catch((e: unknown) => e);
    expect((error as TRPCError).code).toBe("FORBIDDEN");
    const metric = await asMember.metrics.create({ teamId: owner.team.id, name: "Answer", sql: "select 42 as answer", dataSourceId: source.id });
    expect(await asMember.metrics.get({ teamId: owner.team.id, metricId: metric.id })).toMatchObject({ name: "Answer", dataSource: { id: source.id } });
    const conflict = await asOwner.dataSources.delete({ teamId: owner.team.id, dataSourceId: source.id }).catch((e: unknown) => e);
    expect((conflict as TRPCError).code).toBe("CONFLICT");
  });

  it("hides another team's metric as NOT_FOUND, even from a caller who guesses its id", async () => {
    const asOwner = trpcAs(sessionCaller(owner.user.id));
    const source = await asOwner.dataSources.create({ teamId: owner.team.id, name: uniqueName("pg"), type: "POSTGRES", credentials: localPostgres });
    const metric = await asOwner.metrics.create({ teamId: owner.team.id, name: "Secret", sql: "select 1", dataSourceId: source.id });
    const asStranger = trpcAs(sessionCaller(stranger.user.id));
    const error = await asStranger.metrics.get({ teamId: stranger.team.id, metricId: metric.id }).catch((e: unknown) => e);
    expect((error as TRPCError).code).toBe("NOT_FOUND");
    const forbidden = await asStranger.metrics.get({ teamId: owner.team.id, metricId: metric.id }).catch((e: unknown) => e);
    expect((forbidden as TRPCError).code).toBe("FORBIDDEN");
  });
});
