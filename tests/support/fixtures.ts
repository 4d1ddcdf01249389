/**
 * Builders for integration tests: real rows in the test database, each with unique names so
 * tests never collide, and a tRPC caller acting as a given user or token.
 */
import { randomUUID } from "node:crypto";

import type { Role } from "~/generated/prisma/client";
import { createCaller } from "~/server/api/root";
import { createContextInner } from "~/server/api/trpc";
import { createApiToken } from "~/server/auth/api-tokens";
import type { Caller } from "~/server/auth/caller";
import { db } from "~/server/db";
import type { ExportChannel } from "~/server/exports/job/export-job";

export const uniqueName = (prefix: string) => `${prefix}-${randomUUID().slice(0, 8)}`;

export async function createTeamWithUser(role: Role = "OWNER") {
  const team = await db.team.create({ data: { name: uniqueName("team") } });
  const user = await db.user.create({ data: { email: `${uniqueName("user")}@example.test`, name: "Test User" } });
  await db.membership.create({ data: { teamId: team.id, userId: user.id, role } });
  return { team, user };
}

export async function addMember(teamId: string, role: Role) {
  const user = await db.user.create({ data: { email: `${uniqueName("user")}@example.test` } });
  await db.membership.create({ data: { teamId, userId: user.id, role } });
  return user;
}

export function sessionCaller(userId: string): Caller {
  return { userId, via: "session" };
}

export function trpcAs(caller: Caller | null, channel?: ExportChannel) {
  return createCaller(createContextInner({ caller, channel }));
}

export async function tokenFor(userId: string, teamId: string) {
  return (await createApiToken({ userId, teamId, name: uniqueName("token") })).token;
}
