"use client";

import { useQuery } from "@tanstack/react-query";

import { sourceTypeLabel } from "~/components/data-sources/source-types";
import { errorMessage } from "~/components/errors";
import { formatDateTime } from "~/components/format";
import { Button } from "~/components/ui/button";
import { ErrorState, Skeleton } from "~/components/ui/states";
import { useTRPC } from "~/trpc/react";

type Version = { number: number; sql: string; createdAt: Date; dataSource: { id: string; name: string; type: string } | null };

/**
 * A metric's versions, newest first: each one's number, when it was made, its data source and
 * its SQL, with a button that exports that very version.
 */
export function MetricVersions({ teamId, metricId, metricName, onExport }: { teamId: string; metricId: string; metricName: string; onExport: (version: Version) => void }) {
  const trpc = useTRPC();
  const versions = useQuery(trpc.metrics.versions.queryOptions({ teamId, metricId }));

  if (versions.isPending) {
    return (
      <div aria-busy="true" aria-label={`Loading the versions of ${metricName}`} className="space-y-2 py-2">
        <Skeleton className="h-4 w-64 max-w-full" />
        <Skeleton className="h-4 w-48 max-w-full" />
      </div>
    );
  }
  if (versions.isError) {
    return <ErrorState title="Could not load the versions" message={errorMessage(versions.error)} onRetry={() => void versions.refetch()} retrying={versions.isFetching} />;
  }
  return (
    <ol aria-label={`Versions of ${metricName}`} className="divide-y divide-slate-100 rounded-md border border-slate-200 bg-slate-50">
      {versions.data.map((v, index) => (
        <li key={v.number} className="grid grid-cols-[minmax(0,1fr)_auto] items-start gap-3 px-3 py-2">
          <div className="min-w-0 space-y-1">
            <p className="text-sm">
              <span className="font-medium">Version {v.number}</span>
              {index === 0 && <span className="text-slate-500"> · latest</span>}
              <span className="text-slate-500">
                {" "}
                · <time dateTime={v.createdAt.toISOString()}>{formatDateTime(v.createdAt)}</time> ·{" "}
                {v.dataSource ? `${v.dataSource.name} (${sourceTypeLabel(v.dataSource.type)})` : "data source deleted"}
              </span>
            </p>
            <pre className="overflow-x-auto whitespace-pre-wrap break-words font-mono text-xs text-slate-700">{v.sql}</pre>
          </div>
          <Button size="sm" aria-label={`Export version ${v.number} of ${metricName}`} disabled={!v.dataSource} onClick={() => onExport(v)}>
            Export
          </Button>
        </li>
      ))}
    </ol>
  );
}
