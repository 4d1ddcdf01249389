import { TRPCError } from "@trpc/server";
import { beforeAll, describe, expect, it } from "vitest";

import { db } from "~/server/db";
import { addMember, createTeamWithUser, sessionCaller, trpcAs, uniqueName } from "./support/fixtures";
import { TEST_SOURCE_DATABASE_URL, withDatabase, withPassword } from "./support/test-env";

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

  it("reports a failed test with the database's message and without the password", async () => {
    const trpc = trpcAs(sessionCaller(owner.user.id));
    const result = await trpc.dataSources.test({
      teamId: owner.team.id,
      type: "POSTGRES",
      credentials: { url: withPassword(withDatabase(TEST_SOURCE_DATABASE_URL, "no_such_database_here"), PLANTED) },
    });
    expect(result.ok).toBe(false);
    expect(JSON.stringify(result)).toContain("no_such_database_here");
    expect(JSON.stringify(result)).not.toContain(PLANTED);
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
