import { TRPCError } from "@trpc/server";
import { encode } from "next-auth/jwt";
import { beforeAll, describe, expect, it } from "vitest";

import { revokeApiToken } from "~/server/auth/api-tokens";
import { db } from "~/server/db";
import { teamRoute } from "~/server/rest/handler";
import { createTeamWithUser, sessionCaller, tokenFor, trpcAs } from "./support/fixtures";

// A minimal route built on the same wrapper as every REST endpoint, called as Next calls it.
const GET = teamRoute<{ teamId: string }>(async ({ params, caller }) => Response.json({ teamId: params.teamId, userId: caller.userId }));
const call = (teamId: string, headers: Record<string, string> = {}) =>
  GET(new Request(`http://test/api/teams/${teamId}/anything`, { headers }), { params: Promise.resolve({ teamId }) });

async function trpcError(promise: Promise<unknown>) {
  const error = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(TRPCError);
  return error as TRPCError;
}

describe("team access", () => {
  let a: Awaited<ReturnType<typeof createTeamWithUser>>;
  let b: Awaited<ReturnType<typeof createTeamWithUser>>;

  beforeAll(async () => {
    a = await createTeamWithUser("OWNER");
    b = await createTeamWithUser("OWNER");
  });

  it("tRPC: a member of team A gets FORBIDDEN for team B's data", async () => {
    const error = await trpcError(trpcAs(sessionCaller(a.user.id)).apiTokens.list({ teamId: b.team.id }));
    expect(error.code).toBe("FORBIDDEN");
  });

  it("tRPC: no caller gets UNAUTHORIZED", async () => {
    const error = await trpcError(trpcAs(null).teams.mine());
    expect(error.code).toBe("UNAUTHORIZED");
  });

  it("tRPC: an id of the wrong shape is a BAD_REQUEST naming the field, before any query", async () => {
    const trpc = trpcAs(sessionCaller(a.user.id));
    for (const bad of ["with\u0000nul", "../etc", "x".repeat(65), ""]) {
      const error = await trpcError(trpc.metrics.get({ teamId: a.team.id, metricId: bad }));
      expect(error.code).toBe("BAD_REQUEST");
      expect(error.message).toContain("metricId");
      expect((await trpcError(trpc.exports.get({ teamId: bad, exportId: "x" }))).code).toBe("BAD_REQUEST");
    }
  });

  it("tRPC: a member sees only their own teams", async () => {
    const teams = await trpcAs(sessionCaller(a.user.id)).teams.mine();
    expect(teams.map((t) => t.id)).toEqual([a.team.id]);
  });

  it("tRPC: a plain member may not manage API tokens", async () => {
    const member = await db.user.create({ data: { email: `m-${Date.now()}@example.test` } });
    await db.membership.create({ data: { teamId: a.team.id, userId: member.id, role: "MEMBER" } });
    const error = await trpcError(trpcAs(sessionCaller(member.id)).apiTokens.create({ teamId: a.team.id, name: "x" }));
    expect(error.code).toBe("FORBIDDEN");
  });

  it("tRPC: a token is shown once, listed without its secret, and revocable", async () => {
    const trpc = trpcAs(sessionCaller(a.user.id));
    const created = await trpc.apiTokens.create({ teamId: a.team.id, name: "ci" });
    expect(created.token).toMatch(/^ec_[A-Za-z0-9_-]{43}$/);
    const listed = await trpc.apiTokens.list({ teamId: a.team.id });
    const row = listed.find((t) => t.id === created.id);
    expect(row).toBeDefined();
    expect(JSON.stringify(listed)).not.toContain(created.token);
    const stored = await db.apiToken.findUniqueOrThrow({ where: { id: created.id } });
    expect(stored.tokenHash).not.toContain(created.token);
    await trpc.apiTokens.revoke({ teamId: a.team.id, tokenId: created.id });
    expect((await call(a.team.id, { authorization: `Bearer ${created.token}` })).status).toBe(401);
  });

  it("REST: a valid token of team A reaches team A", async () => {
    const token = await tokenFor(a.user.id, a.team.id);
    const response = await call(a.team.id, { authorization: `Bearer ${token}` });
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ teamId: a.team.id, userId: a.user.id });
  });

  it("REST: team A's token gets 403 on team B", async () => {
    const token = await tokenFor(a.user.id, a.team.id);
    const response = await call(b.team.id, { authorization: `Bearer ${token}` });
    expect(response.status).toBe(403);
    expect(await response.json()).toEqual({ code: "forbidden", message: expect.any(String), error: expect.any(String) });
  });

  it("REST: bad, revoked and expired tokens get 401 'Invalid token' and nothing more", async () => {
    const revoked = await tokenFor(a.user.id, a.team.id);
    const revokedRow = await db.apiToken.findFirstOrThrow({ where: { userId: a.user.id }, orderBy: { createdAt: "desc" } });
    await revokeApiToken(revokedRow.id);
    const expired = await tokenFor(a.user.id, a.team.id);
    await db.apiToken.updateMany({ where: { userId: a.user.id, revokedAt: null, prefix: expired.slice(0, 9) }, data: { expiresAt: new Date(Date.now() - 1000) } });

    for (const header of ["Bearer ec_not-a-real-token", `Bearer ${revoked}`, `Bearer ${expired}`, "Bearer", "Basic abc"]) {
      const response = await call(a.team.id, { authorization: header });
      expect(response.status, header).toBe(401);
      expect(await response.json()).toEqual({ code: "unauthorized", message: "Invalid token", error: "Invalid token" });
    }
  });

  it("REST: a browser session cookie reaches the user's team, and only it", async () => {
    const cookie = "authjs.session-token";
    const jwt = await encode({ token: { sub: a.user.id }, secret: process.env.AUTH_SECRET!, salt: cookie });
    expect((await call(a.team.id, { cookie: `${cookie}=${jwt}` })).status).toBe(200);
    expect((await call(b.team.id, { cookie: `${cookie}=${jwt}` })).status).toBe(403);
    const forged = await encode({ token: { sub: a.user.id }, secret: "some-other-secret-entirely", salt: cookie });
    expect((await call(a.team.id, { cookie: `${cookie}=${forged}` })).status).toBe(401);
  });

  it("REST: no credentials at all gets 401", async () => {
    const response = await call(a.team.id);
    expect(response.status).toBe(401);
  });
});
