"use client";

import { useMutation } from "@tanstack/react-query";

import { useExportCache } from "~/components/exports/export-cache";
import { startedInThisTab } from "~/components/exports/tab-memory";
import type { ExportJob } from "~/server/exports/job/export-job";
import { useTRPCClient } from "~/trpc/react";

/** Something the user can export, with what the confirmation needs to name it. */
export type ExportTarget =
  | { kind: "metric"; metricId: string; name: string; dataSource: { name: string; type: string } }
  | { kind: "document"; documentId: string; name: string; viewCount: number }
  | { kind: "dataroom"; dataroomId: string; name: string; viewCount: number }
  | { kind: "dataroom-group"; dataroomId: string; groupId: string; name: string; dataroomName: string; viewCount: number };

export function targetKey(target: ExportTarget): string {
  switch (target.kind) {
    case "metric":
      return `metric:${target.metricId}`;
    case "document":
      return `document:${target.documentId}`;
    case "dataroom":
      return `dataroom:${target.dataroomId}`;
    case "dataroom-group":
      return `group:${target.dataroomId}:${target.groupId}`;
  }
}

export function targetLabel(target: ExportTarget): string {
  return target.kind === "dataroom-group" ? `${target.dataroomName} — ${target.name}` : target.name;
}

/**
 * Starts an export and puts the returned job at the top of the list at once (the server
 * answers before any work is done). The requestId comes from the caller, made when the
 * confirmation opened, so a second click or a retried request reaches the same job.
 */
export function useStartExport(teamId: string, onStarted?: (job: ExportJob, target: ExportTarget) => void) {
  const client = useTRPCClient();
  const cache = useExportCache(teamId);
  return useMutation({
    mutationFn: ({ target, requestId }: { target: ExportTarget; requestId: string }) => {
      switch (target.kind) {
        case "metric":
          return client.metrics.export.mutate({ teamId, metricId: target.metricId, requestId });
        case "document":
          return client.visits.exportDocument.mutate({ teamId, documentId: target.documentId, requestId });
        case "dataroom":
          return client.visits.exportDataroom.mutate({ teamId, dataroomId: target.dataroomId, requestId });
        case "dataroom-group":
          return client.visits.exportGroup.mutate({ teamId, dataroomId: target.dataroomId, groupId: target.groupId, requestId });
      }
    },
    onSuccess: ({ job }, { target }) => {
      startedInThisTab.add(job.id);
      cache.insert(job);
      onStarted?.(job, target);
    },
  });
}
