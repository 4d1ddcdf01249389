/**
 * API tokens for programmatic clients. A token belongs to a user and a team, is shown once
 * at creation, and only its SHA-256 is stored: a plain hash is enough because the token has
 * 256 bits of entropy, and it keeps the lookup a single indexed equality.
 */
import { createHash, randomBytes } from "node:crypto";

import { db } from "~/server/db";
import { AppError } from "~/server/errors";
import { requireMembership } from "~/server/teams/membership";

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
