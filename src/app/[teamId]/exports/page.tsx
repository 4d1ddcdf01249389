import { ExportCenter } from "~/components/exports/export-center";

export default async function ExportsPage({ params }: { params: Promise<{ teamId: string }> }) {
  const { teamId } = await params;
  return <ExportCenter teamId={teamId} />;
}
