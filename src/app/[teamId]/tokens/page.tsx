import type { Metadata } from "next";

import { getTeamAccess } from "~/app/[teamId]/team-access";
import { ApiTokensPage } from "~/components/api-tokens/api-tokens-page";
import { AccessDenied } from "~/components/ui/states";

export const metadata: Metadata = { title: "API tokens · Export Center" };

export default async function Page({ params }: { params: Promise<{ teamId: string }> }) {
  const { teamId } = await params;
  const { isAdmin } = await getTeamAccess(teamId);
  return isAdmin ? <ApiTokensPage /> : <AccessDenied what="API tokens" />;
}
