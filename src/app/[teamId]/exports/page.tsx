import type { Metadata } from "next";

import { ExportCenter } from "~/components/exports/export-center";

export const metadata: Metadata = { title: "Exports · Export Center" };

export default async function ExportsPage({ searchParams }: { searchParams: Promise<{ page?: string }> }) {
  const { page } = await searchParams;
  const n = Number.parseInt(page ?? "1", 10);
  return <ExportCenter page={Number.isFinite(n) && n >= 1 ? n : 1} />;
}
