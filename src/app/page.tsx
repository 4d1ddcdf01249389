import { redirect } from "next/navigation";

import { auth } from "~/server/auth";
import { listTeamsOf } from "~/server/teams/membership";

export const dynamic = "force-dynamic";

export default async function Home() {
  const session = await auth();
  if (!session?.user?.id) redirect("/signin");
  const [first] = await listTeamsOf(session.user.id);
  if (!first) redirect("/signin?error=NoTeam");
  redirect(`/${first.team.id}/exports`);
}
