/**
 * Who may revoke an API token, cell by cell: everyone their own; owners any token of the
 * team; admins any but an owner's; members and viewers nobody else's. Each cell revokes a
 * fresh token through tRPC (apiTokens.revoke, as the UI and the typed client call it) and
 * then tries the token itself: a refused revocation leaves it working.
 */
import { TRPCError } from "@trpc/server";
import { beforeAll, describe, expect, it } from "vitest";

import type { Role } from "~/generated/prisma/client";
import { createApiToken, verifyApiToken } from "~/server/auth/api-tokens";
import { db } from "~/server/db";

import { addMember, createTeamWithUser, sessionCaller, trpcAs } from "./support/fixtures";

type Holder = "self" | Role;

// The table from the issue, written out rather than derived, so that the rule is checked against it.
const allowed: Record<Role, Record<Holder, boolean>> = {
  OWNER: { self: true, OWNER: true, ADMIN: true, MEMBER: true, VIEWER: true },
  ADMIN: { self: true, OWNER: false, ADMIN: true, MEMBER: true, VIEWER: true },
  MEMBER: { self: true, OWNER: false, ADMIN: false, MEMBER: false, VIEWER: false },
  VIEWER: { self: true, OWNER: false, ADMIN: false, MEMBER: false, VIEWER: false },
};
const roles = Object.keys(allowed) as Role[];
const cells = roles.flatMap((actor) => (["self", ...roles] as Holder[]).map((holder) => ({ actor, holder, ok: allowed[actor][holder] })));

let teamId: string;
/** Two people of each role, so that an actor's "other owner" is never the actor. */
const people = {} as Record<Role, [string, string]>;

beforeAll(async () => {
  const { team, user } = await createTeamWithUser("OWNER");
  teamId = team.id;
  people.OWNER = [user.id, (await addMember(teamId, "OWNER")).id];
  for (const role of ["ADMIN", "MEMBER", "VIEWER"] as const) people[role] = [(await addMember(teamId, role)).id, (await addMember(teamId, role)).id];
});

const holderOf = (actor: Role, holder: Holder) => (holder === "self" ? people[actor][0] : people[holder][1]);

async function works(token: string): Promise<boolean> {
  return verifyApiToken(token).then(
    () => true,
    () => false,
  );
}

async function refusal(promise: Promise<unknown>): Promise<TRPCError> {
  const error = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(TRPCError);
  return error as TRPCError;
}

describe("apiTokens.revoke: who may revoke whose token", () => {
  it.each(cells)("a $actor revoking a token of $holder: allowed is $ok", async ({ actor, holder, ok }) => {
    const created = await createApiToken({ userId: holderOf(actor, holder), teamId, name: `${holder}'s` });
    const revoke = trpcAs(sessionCaller(people[actor][0])).apiTokens.revoke({ teamId, tokenId: created.id });
    if (ok) {
      expect(await revoke).toEqual({ ok: true });
      expect(await works(created.token)).toBe(false);
      return;
    }
    const error = await refusal(revoke);
    expect(error.code).toBe("FORBIDDEN");
    expect(await works(created.token)).toBe(true);
    expect((await db.apiToken.findUniqueOrThrow({ where: { id: created.id } })).revokedAt).toBeNull();
  });

  it("tells an admin and a member why, in words", async () => {
    const owners = await createApiToken({ userId: people.OWNER[1], teamId, name: "nightly sync" });
    const asAdmin = await refusal(trpcAs(sessionCaller(people.ADMIN[0])).apiTokens.revoke({ teamId, tokenId: owners.id }));
    expect(asAdmin.message).toBe("Only an owner can revoke an owner's token");
    const asMember = await refusal(trpcAs(sessionCaller(people.MEMBER[0])).apiTokens.revoke({ teamId, tokenId: owners.id }));
    expect(asMember.message).toBe("Only owners and admins can revoke another person's token");
  });

  it("lets an admin revoke the token of someone who has left the team", async () => {
    const leaver = await addMember(teamId, "OWNER");
    const created = await createApiToken({ userId: leaver.id, teamId, name: "left behind" });
    await db.membership.delete({ where: { teamId_userId: { teamId, userId: leaver.id } } });
    await trpcAs(sessionCaller(people.ADMIN[0])).apiTokens.revoke({ teamId, tokenId: created.id });
    expect(await works(created.token)).toBe(false);
  });

  it("finds no token of another team, whoever asks", async () => {
    const other = await createTeamWithUser("OWNER");
    const foreign = await createApiToken({ userId: other.user.id, teamId: other.team.id, name: "theirs" });
    const error = await refusal(trpcAs(sessionCaller(people.OWNER[0])).apiTokens.revoke({ teamId, tokenId: foreign.id }));
    expect(error.code).toBe("NOT_FOUND");
    expect(await works(foreign.token)).toBe(true);
  });
});

describe("apiTokens.list: whose tokens each role sees", () => {
  it("shows owners and admins every token of the team, with whose it is and their role", async () => {
    const members = await createApiToken({ userId: people.MEMBER[1], teamId, name: "member's report" });
    for (const role of ["OWNER", "ADMIN"] as const) {
      const listed = await trpcAs(sessionCaller(people[role][0])).apiTokens.list({ teamId });
      expect(listed.find((t) => t.id === members.id)?.user).toMatchObject({ role: "MEMBER", email: expect.stringContaining("@") });
    }
  });

  it("shows members and viewers only their own, so that they can revoke them", async () => {
    for (const role of ["MEMBER", "VIEWER"] as const) {
      const [me] = people[role];
      const mine = await createApiToken({ userId: me, teamId, name: "mine" });
      const listed = await trpcAs(sessionCaller(me)).apiTokens.list({ teamId });
      expect(listed.map((t) => t.userId)).toEqual(listed.map(() => me));
      expect(listed.map((t) => t.id)).toContain(mine.id);
      expect(JSON.stringify(listed)).not.toContain(mine.token);
    }
  });
});
