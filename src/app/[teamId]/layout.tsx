import { getTeamAccess } from "~/app/[teamId]/team-access";
import { getEnv } from "~/env";
import { ExportFormatsProvider } from "~/components/exports/export-formats";
import { ExportKindsProvider } from "~/components/exports/export-kinds";
import { TeamProvider } from "~/components/team-context";
import { TeamHeader } from "~/components/team-header";
import { ToastProvider } from "~/components/ui/toast";
import { defaultFormatId, formatChoices } from "~/server/exports/formats";
import { exportKindLabels } from "~/server/exports/kinds";

export const dynamic = "force-dynamic";

export default async function TeamLayout({ children, params }: { children: React.ReactNode; params: Promise<{ teamId: string }> }) {
  const { teamId } = await params;
  // Signs out strangers and 404s non-members before anything of the team is rendered.
  const access = await getTeamAccess(teamId);

  return (
    <TeamProvider value={{ teamId, teamName: access.team.name, userId: access.user.id, role: access.role }}>
      <ExportKindsProvider kinds={exportKindLabels()}>
        <ExportFormatsProvider formats={{ choices: formatChoices(), defaultId: defaultFormatId }}>
          <ToastProvider>
            <div className="min-h-screen">
              <TeamHeader
                teamId={teamId}
                role={access.role}
                teams={access.teams}
                user={{ email: access.user.email, name: access.user.name }}
                engineDashboardUrl={getEnv().ENGINE_DASHBOARD_URL}
              />
              <main className="mx-auto max-w-6xl px-4 py-6 sm:px-6 sm:py-8">{children}</main>
            </div>
          </ToastProvider>
        </ExportFormatsProvider>
      </ExportKindsProvider>
    </TeamProvider>
  );
}
