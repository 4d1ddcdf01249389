/**
 * API tokens for programmatic clients. A token belongs to a user and a team, is shown once
 * at creation, and only its SHA-256 is stored: a plain hash is enough because the token has
 * 256 bits of entropy, and it keeps the lookup a single indexed equality.
 */
import { createHash, randomBytes } from "node:crypto";

import type { Role } from "~/generated/prisma/client";
import { db } from "~/server/db";
import { AppError } from "~/server/errors";
import { requireMembership } from "~/server/teams/membership";
import { type TeamMember, tokenRevocationRefusal } from "~/server/teams/permissions";

const TOKEN_PREFIX = "ec_";

export function hashToken(token: string): string {
  return createHash("sha256").update(token).digest("hex");
}

export const apiTokenSelect = {
  id: true,
  name: true,
  prefix: true,
  teamId: true,
  userId: true,
  createdAt: true,
  lastUsedAt: true,
  expiresAt: true,
  revokedAt: true,
} as const;

export async function createApiToken(input: { userId: string; teamId: string; name: string; expiresAt?: Date }) {
  await requireMembership(input.userId, input.teamId);
  const token = TOKEN_PREFIX + randomBytes(32).toString("base64url");
  const record = await db.apiToken.create({
    data: {
      name: input.name,
      userId: input.userId,
      teamId: input.teamId,
      expiresAt: input.expiresAt,
      tokenHash: hashToken(token),
      prefix: token.slice(0, TOKEN_PREFIX.length + 6),
    },
    select: apiTokenSelect,
  });
  return { ...record, token };
}

export function listApiTokens(teamId: string) {
  return db.apiToken.findMany({ where: { teamId }, orderBy: { createdAt: "desc" }, select: apiTokenSelect });
}

/** The token's user, with the role they hold in `teamId` today (none if they have left it). */
const holderIn = (teamId: string) => ({ user: { select: { email: true, name: true, memberships: { where: { teamId }, select: { role: true } } } } }) as const;

function withHolder<T extends { user: { email: string; name: string | null; memberships: { role: Role }[] } }>({ user, ...token }: T) {
  return { ...token, user: { email: user.email, name: user.name, role: user.memberships[0]?.role ?? null } };
}

/**
 * The tokens a member may see: owners and admins see the team's, everyone else their own.
 * Each says whose it is and that person's role, which decides who may revoke it.
 */
export async function listTeamTokens(actor: TeamMember) {
  const seesAll = actor.role === "OWNER" || actor.role === "ADMIN";
  const tokens = await db.apiToken.findMany({
    where: { teamId: actor.teamId, ...(seesAll ? {} : { userId: actor.userId }) },
    orderBy: { createdAt: "desc" },
    select: { ...apiTokenSelect, ...holderIn(actor.teamId) },
  });
  return tokens.map(withHolder);
}

/** Revokes a token of the actor's team if the role rules allow it (src/server/teams/permissions.ts). */
export async function revokeTeamToken(actor: TeamMember, tokenId: string) {
  const token = await db.apiToken.findFirst({ where: { id: tokenId, teamId: actor.teamId, revokedAt: null }, select: { userId: true, ...holderIn(actor.teamId) } });
  if (!token) throw new AppError("NOT_FOUND", "No such active token");
  const refusal = tokenRevocationRefusal(actor, { userId: token.userId, holderRole: withHolder(token).user.role });
  if (refusal) throw new AppError("FORBIDDEN", refusal);
  await revokeApiToken(tokenId, actor.teamId);
}

/** Revokes a token unconditionally: for the operator's CLI, and for the checked path above. */
export async function revokeApiToken(id: string, teamId?: string) {
  const { count } = await db.apiToken.updateMany({
    where: { id, revokedAt: null, ...(teamId ? { teamId } : {}) },
    data: { revokedAt: new Date() },
  });
  if (count === 0) throw new AppError("NOT_FOUND", "No such active token");
}

/**
 * Resolves a bearer token to its user and team. Every failure gives the same answer, so a
 * caller learns nothing about why a token was refused.
 */
export async function verifyApiToken(token: string): Promise<{ userId: string; teamId: string; tokenId: string }> {
  const invalid = new AppError("UNAUTHORIZED", "Invalid token");
  if (!token.startsWith(TOKEN_PREFIX)) throw invalid;
  const record = await db.apiToken.findUnique({
    where: { tokenHash: hashToken(token) },
    select: { id: true, userId: true, teamId: true, revokedAt: true, expiresAt: true, lastUsedAt: true },
  });
  if (!record || record.revokedAt || (record.expiresAt && record.expiresAt <= new Date())) throw invalid;
  // Writing on every request would make each API call a write; once a minute is enough.
  if (!record.lastUsedAt || Date.now() - record.lastUsedAt.getTime() > 60_000) {
    await db.apiToken.update({ where: { id: record.id }, data: { lastUsedAt: new Date() } });
  }
  return { userId: record.userId, teamId: record.teamId, tokenId: record.id };
}
