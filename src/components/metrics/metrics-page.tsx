"use client";

import { useQuery } from "@tanstack/react-query";
import Link from "next/link";
import { useRouter } from "next/navigation";
import { useState } from "react";

import { sourceTypeLabel } from "~/components/data-sources/source-types";
import { errorMessage } from "~/components/errors";
import { NewExportDialog } from "~/components/exports/new-export-dialog";
import { type ExportTarget, targetLabel } from "~/components/exports/start-export";
import { formatDateTime, formatRelative } from "~/components/format";
import { MetricVersions } from "~/components/metrics/metric-versions";
import { isTeamAdmin, useTeam } from "~/components/team-context";
import { Button } from "~/components/ui/button";
import { EmptyState, ErrorState, PageHeader, Skeleton } from "~/components/ui/states";
import { useToast } from "~/components/ui/toast";
import { useNow } from "~/components/use-now";
import { useTRPC } from "~/trpc/react";

const grid = "sm:grid-cols-[minmax(0,1fr)_minmax(0,16rem)_8rem_5rem]";

export function MetricsPage() {
  const { teamId, role } = useTeam();
  const trpc = useTRPC();
  const toast = useToast();
  const router = useRouter();
  const now = useNow();
  const metrics = useQuery(trpc.metrics.list.queryOptions({ teamId }));
  const [target, setTarget] = useState<ExportTarget | null>(null);
  const [showingVersions, setShowingVersions] = useState<string | null>(null);

  let body: React.ReactNode;
  if (metrics.isPending) {
    body = (
      <div aria-busy="true" aria-label="Loading metrics" className="divide-y divide-slate-100 rounded-lg border border-slate-200 bg-white">
        {[0, 1, 2].map((i) => (
          <div key={i} className={`grid gap-3 p-4 sm:items-center ${grid}`}>
            <Skeleton className="h-4 w-48 max-w-full" />
            <Skeleton className="h-4 w-36" />
            <Skeleton className="h-4 w-20" />
            <Skeleton className="h-8 w-20" />
          </div>
        ))}
      </div>
    );
  } else if (metrics.isError) {
    body = <ErrorState title="Could not load metrics" message={errorMessage(metrics.error)} onRetry={() => void metrics.refetch()} retrying={metrics.isFetching} />;
  } else if (metrics.data.length === 0) {
    body = (
      <EmptyState title="No metrics yet">
        A metric is a saved SQL query on one of the team&apos;s data sources. Metrics are created through the API
        {isTeamAdmin(role) ? (
          <>
            ; first, <Link href={`/${teamId}/data-sources`} className="text-indigo-700 underline">add a data source</Link>.
          </>
        ) : (
          "."
        )}
      </EmptyState>
    );
  } else {
    body = (
      <div className="rounded-lg border border-slate-200 bg-white shadow-sm">
        <div aria-hidden="true" className={`hidden gap-4 border-b border-slate-200 px-4 py-2 text-xs font-medium text-slate-500 sm:grid ${grid}`}>
          <span>Metric</span>
          <span>Data source</span>
          <span>Updated</span>
          <span className="sr-only">Actions</span>
        </div>
        <ul aria-label="Metrics" className="divide-y divide-slate-100">
          {metrics.data.map((m) => (
            <li key={m.id} className={`grid grid-cols-[minmax(0,1fr)_auto] items-center gap-x-4 gap-y-1 px-4 py-3 ${grid}`}>
              <div className="min-w-0">
                <p className="truncate font-medium" title={m.name}>
                  {m.name}
                </p>
                <p className="truncate font-mono text-xs text-slate-500" title={m.sql}>
                  {m.sql}
                </p>
                <button
                  type="button"
                  className="text-xs text-indigo-700 underline"
                  aria-expanded={showingVersions === m.id}
                  aria-controls={`versions-${m.id}`}
                  onClick={() => setShowingVersions(showingVersions === m.id ? null : m.id)}
                >
                  {m.version === null ? "Versions" : `Version ${m.version}`} · {showingVersions === m.id ? "hide versions" : "show versions"}
                </button>
              </div>
              <p className="col-start-1 row-start-2 min-w-0 truncate text-sm text-slate-700 sm:col-start-auto sm:row-start-auto">
                {m.dataSource.name} <span className="text-slate-500">· {sourceTypeLabel(m.dataSource.type)}</span>
              </p>
              <p className="col-start-1 row-start-3 text-xs text-slate-500 sm:col-start-auto sm:row-start-auto sm:text-sm">
                <span className="sm:sr-only">Updated </span>
                <time dateTime={m.updatedAt.toISOString()} title={formatDateTime(m.updatedAt)}>
                  {now === null ? formatDateTime(m.updatedAt) : formatRelative(m.updatedAt, now)}
                </time>
              </p>
              <div className="col-start-2 row-span-3 row-start-1 sm:col-start-auto sm:row-span-1 sm:row-start-auto">
                <Button
                  size="sm"
                  variant="primary"
                  aria-label={`Export ${m.name}`}
                  onClick={() => setTarget({ kind: "metric", metricId: m.id, name: m.name, dataSource: { name: m.dataSource.name, type: m.dataSource.type } })}
                >
                  Export
                </Button>
              </div>
              {showingVersions === m.id && (
                <div id={`versions-${m.id}`} className="col-span-full">
                  <MetricVersions
                    teamId={teamId}
                    metricId={m.id}
                    metricName={m.name}
                    onExport={(v) =>
                      setTarget({
                        kind: "metric",
                        metricId: m.id,
                        metricVersionNumber: v.number,
                        name: m.name,
                        dataSource: { name: v.dataSource?.name ?? m.dataSource.name, type: v.dataSource?.type ?? m.dataSource.type },
                      })
                    }
                  />
                </div>
              )}
            </li>
          ))}
        </ul>
      </div>
    );
  }

  return (
    <section aria-labelledby="metrics-heading">
      <PageHeader id="metrics-heading" title="Metrics" description="Saved queries on the team's data sources. Export one in the format you choose; it runs in the background." />
      {body}
      <NewExportDialog
        teamId={teamId}
        open={target !== null}
        initialTarget={target}
        onClose={() => setTarget(null)}
        onStarted={(_job, started) => {
          toast.success(`Export of “${targetLabel(started)}” started.`);
          // The export center is where its progress shows and its file downloads by itself.
          router.push(`/${teamId}/exports`);
        }}
      />
    </section>
  );
}
