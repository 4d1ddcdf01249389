import type { Role } from "~/generated/prisma/client";
import { db } from "~/server/db";
import { AppError } from "~/server/errors";

const rank: Record<Role, number> = { VIEWER: 0, MEMBER: 1, ADMIN: 2, OWNER: 3 };

/**
 * Checks that a user belongs to a team, with at least the given role. A stranger to the
 * team gets FORBIDDEN: team ids are not secret, the team's contents are.
 */
export async function requireMembership(userId: string, teamId: string, minimumRole: Role = "VIEWER") {
  const membership = await db.membership.findUnique({
    where: { teamId_userId: { teamId, userId } },
    select: { role: true, team: { select: { id: true, name: true } } },
  });
  if (!membership) throw new AppError("FORBIDDEN", "You are not a member of this team");
  requireRole(membership.role, minimumRole);
  return membership;
}

export function requireRole(role: Role, minimumRole: Role) {
  if (rank[role] < rank[minimumRole]) {
    throw new AppError("FORBIDDEN", `This needs the ${minimumRole.toLowerCase()} role or higher`);
  }
}

export function listTeamsOf(userId: string) {
  return db.membership.findMany({
    where: { userId },
    orderBy: { team: { name: "asc" } },
    select: { role: true, team: { select: { id: true, name: true } } },
  });
}

/** A token reaches only its own team; within it, the user's role still applies. */
export async function requireTeamAccess(
  caller: { userId: string; tokenTeamId?: string },
  teamId: string,
  minimumRole: Role = "VIEWER",
) {
  if (caller.tokenTeamId && caller.tokenTeamId !== teamId) {
    throw new AppError("FORBIDDEN", "This token belongs to another team");
  }
  return requireMembership(caller.userId, teamId, minimumRole);
}
