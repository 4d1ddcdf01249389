import { redirect } from "next/navigation";

export default async function TeamHome({ params }: { params: Promise<{ teamId: string }> }) {
  const { teamId } = await params;
  redirect(`/${teamId}/exports`);
}
