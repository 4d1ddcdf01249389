"use client";

import { createContext, useContext } from "react";

import type { ExportKindLabels } from "~/server/exports/kinds";

const ExportKindsContext = createContext<ExportKindLabels | null>(null);

/** Each export kind's name and unit, as its definition on the server gives them (the team layout passes them in). */
export function ExportKindsProvider({ kinds, children }: { kinds: ExportKindLabels; children: React.ReactNode }) {
  return <ExportKindsContext.Provider value={kinds}>{children}</ExportKindsContext.Provider>;
}

export function useExportKinds(): ExportKindLabels {
  const kinds = useContext(ExportKindsContext);
  if (!kinds) throw new Error("useExportKinds() needs an ExportKindsProvider (the [teamId] layout renders one)");
  return kinds;
}
