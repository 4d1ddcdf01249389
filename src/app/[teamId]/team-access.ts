import { notFound, redirect } from "next/navigation";
import { cache } from "react";

import { auth } from "~/server/auth";
import { listTeamsOf } from "~/server/teams/membership";

/**
 * The signed-in user and their membership of this team, or a redirect (not signed in) or a
 * 404 (not a member). React's cache() lets the layout and the page share one lookup per request.
 */
export const getTeamAccess = cache(async (teamId: string) => {
  const session = await auth();
  if (!session?.user?.id) redirect("/signin");
  const teams = await listTeamsOf(session.user.id);
  const current = teams.find((m) => m.team.id === teamId);
  // Another team's pages do not exist, as far as this user can tell.
  if (!current) notFound();
  return {
    user: { id: session.user.id, email: session.user.email ?? "", name: session.user.name ?? null },
    teams: teams.map((m) => ({ id: m.team.id, name: m.team.name, role: m.role })),
    team: { id: current.team.id, name: current.team.name },
    role: current.role,
    isAdmin: current.role === "OWNER" || current.role === "ADMIN",
  };
});
