"use client";

import { useMutation } from "@tanstack/react-query";

import { useExportCache } from "~/components/exports/export-cache";
import { startedInThisTab } from "~/components/exports/tab-memory";
import type { CompressionId, FormatId } from "~/server/exports/formats";
import type { ExportJob } from "~/server/exports/job/export-job";
import type { KindInput } from "~/server/exports/kinds";
import { useTRPCClient } from "~/trpc/react";

/**
 * Something the user can export: a kind's input (what `exports.start` takes), with what the
 * confirmation needs to name it.
 */
export type ExportTarget = KindInput &
  (
    | { kind: "metric"; name: string; dataSource: { name: string; type: string } }
    | { kind: "document"; name: string; viewCount: number }
    | { kind: "dataroom"; name: string; viewCount: number }
    | { kind: "dataroom-group"; name: string; dataroomName: string; viewCount: number }
  );

export function targetKey(target: ExportTarget): string {
  switch (target.kind) {
    case "metric":
      return `metric:${target.metricId}:${target.metricVersionNumber ?? "latest"}`;
    case "document":
      return `document:${target.documentId}`;
    case "dataroom":
      return `dataroom:${target.dataroomId}`;
    case "dataroom-group":
      return `group:${target.dataroomId}:${target.groupId}`;
  }
}

export function targetLabel(target: ExportTarget): string {
  if (target.kind === "dataroom-group") return `${target.dataroomName} — ${target.name}`;
  if (target.kind === "metric" && target.metricVersionNumber !== undefined) return `${target.name}, version ${target.metricVersionNumber}`;
  return target.name;
}

/** What the file is to be, as the dialog's format picker chose it. */
export type FileChoice = { format: FormatId; compression?: CompressionId };

/**
 * Starts an export and puts the returned job at the top of the list at once (the server
 * answers before any work is done). The requestId comes from the caller, made when the
 * confirmation opened, so a second click or a retried request reaches the same job.
 */
export function useStartExport(teamId: string, onStarted?: (job: ExportJob, target: ExportTarget) => void) {
  const client = useTRPCClient();
  const cache = useExportCache(teamId);
  return useMutation({
    // The server's schema for the kind keeps its input and drops the display fields.
    mutationFn: ({ target, requestId, file, emailMe }: { target: ExportTarget; requestId: string; file: FileChoice; emailMe?: boolean }) =>
      client.exports.start.mutate({ teamId, target, requestId, format: file.format, compression: file.compression, emailMe }),
    onSuccess: ({ job }, { target }) => {
      startedInThisTab.add(job.id);
      cache.insert(job);
      onStarted?.(job, target);
    },
  });
}
