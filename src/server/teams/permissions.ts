/**
 * What each role may do to things another member made: the one place these rules live.
 * Every interface (tRPC, REST, the UI's buttons) asks these functions; each answers null
 * when the action is allowed, or the reason it is not, in words fit to show the user.
 *
 * The module imports types only, so the browser bundle can use the same rules as the server.
 */
import type { Role } from "~/generated/prisma/client";

/** A signed-in member of a team, with their role in it. */
export type TeamMember = { userId: string; teamId: string; role: Role };

export type ExportChange = "cancel" | "delete" | "retry";

/**
 * Cancelling, deleting and retrying an export: owners and admins may do it to any export of
 * the team, members to their own, viewers to none. Reading and downloading are open to all.
 */
export function exportChangeRefusal(actor: Pick<TeamMember, "userId" | "role">, job: { userId: string }, change: ExportChange): string | null {
  if (actor.role === "OWNER" || actor.role === "ADMIN") return null;
  if (actor.role === "VIEWER") return `Viewers cannot ${change} exports; ask a member, an admin or an owner of the team`;
  if (job.userId === actor.userId) return null;
  return `Only the person who started this export, an admin or an owner can ${change} it`;
}

/**
 * Revoking an API token: everyone may revoke their own; owners any token of the team; admins
 * any but an owner's, so that an admin cannot lock an owner's automation out. `holderRole` is
 * the role of the token's user in the token's team, null if they have left it.
 */
export function tokenRevocationRefusal(actor: Pick<TeamMember, "userId" | "role">, token: { userId: string; holderRole: Role | null }): string | null {
  if (token.userId === actor.userId || actor.role === "OWNER") return null;
  if (actor.role === "ADMIN") return token.holderRole === "OWNER" ? "Only an owner can revoke an owner's token" : null;
  return "Only owners and admins can revoke another person's token";
}

/**
 * Schedules: owners and admins create, change and delete them; every member sees them and may
 * run one now; viewers only see them.
 */
export function scheduleChangeRefusal(actor: Pick<TeamMember, "role">, change: "manage" | "run"): string | null {
  if (actor.role === "OWNER" || actor.role === "ADMIN") return null;
  if (change === "run" && actor.role === "MEMBER") return null;
  return change === "run" ? "Viewers cannot run schedules; ask a member, an admin or an owner of the team" : "Only owners and admins can create, change or delete schedules";
}
