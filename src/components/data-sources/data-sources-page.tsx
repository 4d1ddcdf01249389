"use client";

import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import type { inferRouterOutputs } from "@trpc/server";
import { useState } from "react";

import { DataSourceForm } from "~/components/data-sources/data-source-form";
import { sourceTypeLabel } from "~/components/data-sources/source-types";
import { errorMessage } from "~/components/errors";
import { formatDate, formatDateTime } from "~/components/format";
import { useTeam } from "~/components/team-context";
import { Button, Spinner } from "~/components/ui/button";
import { ConfirmDialog } from "~/components/ui/confirm-dialog";
import { Dialog } from "~/components/ui/dialog";
import { EmptyState, ErrorState, PageHeader, Skeleton } from "~/components/ui/states";
import { useToast } from "~/components/ui/toast";
import type { AppRouter } from "~/server/api/root";
import { useSingleFlight } from "~/components/use-single-flight";
import { useTRPC } from "~/trpc/react";

type DataSource = inferRouterOutputs<AppRouter>["dataSources"]["list"][number];

const grid = "md:grid-cols-[minmax(0,1fr)_9rem_7rem_8rem_9.5rem]";

export function DataSourcesPage() {
  const { teamId } = useTeam();
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const toast = useToast();
  const [adding, setAdding] = useState(false);
  const sources = useQuery(trpc.dataSources.list.queryOptions({ teamId }));

  const addButton = (
    <Button variant="primary" onClick={() => setAdding(true)}>
      Add data source
    </Button>
  );

  let body: React.ReactNode;
  if (sources.isPending) {
    body = (
      <div aria-busy="true" aria-label="Loading data sources" className="divide-y divide-slate-100 rounded-lg border border-slate-200 bg-white">
        {[0, 1, 2].map((i) => (
          <div key={i} className="flex items-center gap-4 p-4">
            <Skeleton className="h-4 w-48" />
            <Skeleton className="h-4 w-24" />
          </div>
        ))}
      </div>
    );
  } else if (sources.isError) {
    body = <ErrorState title="Could not load data sources" message={errorMessage(sources.error)} onRetry={() => void sources.refetch()} retrying={sources.isFetching} />;
  } else if (sources.data.length === 0) {
    body = (
      <EmptyState title="No data sources yet" action={addButton}>
        Connect a PostgreSQL, MySQL, Snowflake or BigQuery database, then define metrics that query it.
      </EmptyState>
    );
  } else {
    body = (
      <div className="rounded-lg border border-slate-200 bg-white shadow-sm">
        <div aria-hidden="true" className={`hidden gap-4 border-b border-slate-200 px-4 py-2 text-xs font-medium text-slate-500 md:grid ${grid}`}>
          <span>Name</span>
          <span>Type</span>
          <span>Metrics</span>
          <span>Added</span>
          <span className="sr-only">Actions</span>
        </div>
        <ul aria-label="Data sources" className="divide-y divide-slate-100">
          {sources.data.map((source) => (
            <SourceRow key={source.id} teamId={teamId} source={source} />
          ))}
        </ul>
      </div>
    );
  }

  return (
    <section aria-labelledby="sources-heading">
      <PageHeader
        id="sources-heading"
        title="Data sources"
        description="Databases the team's metrics query. Credentials are encrypted, and never shown again once saved."
        action={sources.data && sources.data.length > 0 ? addButton : undefined}
      />
      {body}
      <Dialog open={adding} onClose={() => setAdding(false)} title="Add a data source" size="lg" dismissOnBackdrop={false}>
        <DataSourceForm
          teamId={teamId}
          onCancel={() => setAdding(false)}
          onSaved={(name) => {
            setAdding(false);
            toast.success(`Data source “${name}” added.`);
            void queryClient.invalidateQueries(trpc.dataSources.list.queryFilter({ teamId }));
          }}
        />
      </Dialog>
    </section>
  );
}

function SourceRow({ teamId, source }: { teamId: string; source: DataSource }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const toast = useToast();
  const [confirming, setConfirming] = useState(false);
  const once = useSingleFlight();
  const test = useMutation(trpc.dataSources.test.mutationOptions());
  const remove = useMutation(
    trpc.dataSources.delete.mutationOptions({
      onSuccess: () => {
        setConfirming(false);
        toast.info(`Data source “${source.name}” deleted.`);
        void queryClient.invalidateQueries(trpc.dataSources.list.queryFilter({ teamId }));
      },
    }),
  );
  const metricCount = source._count.metrics;

  return (
    <li className={`grid grid-cols-[minmax(0,1fr)_auto] items-center gap-x-4 gap-y-1 px-4 py-3 ${grid}`}>
      <p className="min-w-0 truncate font-medium" title={source.name}>
        {source.name}
      </p>
      <p className="col-start-1 text-sm text-slate-700 md:col-start-auto">{sourceTypeLabel(source.type)}</p>
      <p className="col-start-1 text-sm text-slate-600 tabular-nums md:col-start-auto">
        {metricCount === 0 ? "No metrics" : `${metricCount} ${metricCount === 1 ? "metric" : "metrics"}`}
      </p>
      <p className="col-start-1 text-sm text-slate-600 md:col-start-auto">
        <span className="md:sr-only">Added </span>
        <time dateTime={source.createdAt.toISOString()} title={formatDateTime(source.createdAt)}>
          {formatDate(source.createdAt)}
        </time>
      </p>
      <div className="col-start-2 row-span-4 row-start-1 flex flex-col gap-2 sm:flex-row md:col-start-auto md:row-span-1 md:row-start-auto md:justify-end">
        <Button size="sm" onClick={() => once(() => test.mutateAsync({ teamId, dataSourceId: source.id }))} disabled={test.isPending} aria-busy={test.isPending} aria-label={`Test the connection to ${source.name}`}>
          {test.isPending && <Spinner />}
          {test.isPending ? "Testing…" : "Test"}
        </Button>
        <Button size="sm" variant="subtle-danger" onClick={() => setConfirming(true)} aria-label={`Delete ${source.name}`}>
          Delete
        </Button>
      </div>
      <div aria-live="polite" className="col-span-2 empty:hidden md:col-span-5">
        {test.data?.ok === true && <p className="mt-1 text-sm text-green-800">✓ Connected to {source.name}.</p>}
        {test.data?.ok === false && (
          <p role="alert" className="mt-1 rounded-md border border-red-200 bg-red-50 px-3 py-2 font-mono text-xs break-words whitespace-pre-wrap text-red-800">
            {test.data.error}
          </p>
        )}
        {test.isError && <p className="mt-1 text-sm text-red-800">{errorMessage(test.error)}</p>}
      </div>

      <ConfirmDialog
        open={confirming}
        onClose={() => {
          setConfirming(false);
          remove.reset();
        }}
        onConfirm={() => once(() => remove.mutateAsync({ teamId, dataSourceId: source.id }))}
        pending={remove.isPending}
        error={remove.error ? errorMessage(remove.error) : null}
        title="Delete this data source?"
        confirmLabel="Delete data source"
        pendingLabel="Deleting…"
      >
        <p>
          <strong className="font-medium text-slate-900">{source.name}</strong> and its stored credentials will be deleted. This cannot be undone.
        </p>
      </ConfirmDialog>
    </li>
  );
}
