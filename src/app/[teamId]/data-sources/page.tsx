import type { Metadata } from "next";

import { getTeamAccess } from "~/app/[teamId]/team-access";
import { DataSourcesPage } from "~/components/data-sources/data-sources-page";
import { AccessDenied } from "~/components/ui/states";

export const metadata: Metadata = { title: "Data sources · Export Center" };

export default async function Page({ params }: { params: Promise<{ teamId: string }> }) {
  const { teamId } = await params;
  const { isAdmin } = await getTeamAccess(teamId);
  // The server refuses the procedures anyway; this spares members a page of errors.
  return isAdmin ? <DataSourcesPage /> : <AccessDenied what="data sources" />;
}
