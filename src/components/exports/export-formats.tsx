"use client";

import { createContext, useContext } from "react";

import type { FormatChoice, FormatId } from "~/server/exports/formats";

export type ExportFormats = { choices: readonly FormatChoice[]; defaultId: FormatId };

const ExportFormatsContext = createContext<ExportFormats | null>(null);

/** The formats an export can be written in, from the server's registry (the team layout passes them in). */
export function ExportFormatsProvider({ formats, children }: { formats: ExportFormats; children: React.ReactNode }) {
  return <ExportFormatsContext.Provider value={formats}>{children}</ExportFormatsContext.Provider>;
}

export function useExportFormats(): ExportFormats {
  const formats = useContext(ExportFormatsContext);
  if (!formats) throw new Error("useExportFormats() needs an ExportFormatsProvider (the [teamId] layout renders one)");
  return formats;
}

/** How a row names its file's format, e.g. "CSV · gzip"; an audit row may name a format no longer registered. */
export function fileFormatLabel(choices: readonly FormatChoice[], file: { format: string; compression?: string | null }): string {
  const label = choices.find((choice) => choice.id === file.format)?.label ?? file.format;
  return file.compression ? `${label} · ${file.compression}` : label;
}
