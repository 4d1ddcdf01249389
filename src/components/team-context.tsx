"use client";

import { createContext, useContext } from "react";

export type TeamRole = "OWNER" | "ADMIN" | "MEMBER" | "VIEWER";

export type TeamSession = { teamId: string; teamName: string; userId: string; role: TeamRole };

const TeamContext = createContext<TeamSession | null>(null);

/** Who is looking at which team, resolved once by the team layout for every page under it. */
export function TeamProvider({ value, children }: { value: TeamSession; children: React.ReactNode }) {
  return <TeamContext.Provider value={value}>{children}</TeamContext.Provider>;
}

export function useTeam(): TeamSession {
  const team = useContext(TeamContext);
  if (!team) throw new Error("useTeam() needs a TeamProvider (the [teamId] layout renders one)");
  return team;
}

export function isTeamAdmin(role: TeamRole): boolean {
  return role === "OWNER" || role === "ADMIN";
}
