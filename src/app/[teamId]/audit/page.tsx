import type { Metadata } from "next";

import { getTeamAccess } from "~/app/[teamId]/team-access";
import { AuditLogPage } from "~/components/audit/audit-log-page";
import { AccessDenied } from "~/components/ui/states";

export const metadata: Metadata = { title: "Audit log · Export Center" };

export default async function Page({ params }: { params: Promise<{ teamId: string }> }) {
  const { teamId } = await params;
  const { isAdmin } = await getTeamAccess(teamId);
  return isAdmin ? <AuditLogPage /> : <AccessDenied what="the export audit log" verb="read" />;
}
