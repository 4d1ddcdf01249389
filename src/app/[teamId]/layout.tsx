import { notFound, redirect } from "next/navigation";

import { TeamHeader } from "~/components/team-header";
import { auth } from "~/server/auth";
import { listTeamsOf } from "~/server/teams/membership";

export const dynamic = "force-dynamic";

export default async function TeamLayout({ children, params }: { children: React.ReactNode; params: Promise<{ teamId: string }> }) {
  const session = await auth();
  if (!session?.user?.id) redirect("/signin");
  const { teamId } = await params;
  const teams = await listTeamsOf(session.user.id);
  const current = teams.find((m) => m.team.id === teamId);
  // Another team's pages do not exist, as far as this user can tell.
  if (!current) notFound();

  return (
    <div className="min-h-screen">
      <TeamHeader
        teamId={teamId}
        teams={teams.map((m) => ({ id: m.team.id, name: m.team.name, role: m.role }))}
        user={{ email: session.user.email, name: session.user.name ?? null }}
      />
      <main className="mx-auto max-w-6xl px-4 py-6 sm:px-6">{children}</main>
    </div>
  );
}
