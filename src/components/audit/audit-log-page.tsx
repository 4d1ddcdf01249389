"use client";

import { keepPreviousData, useInfiniteQuery } from "@tanstack/react-query";
import { useEffect, useState } from "react";

import { type AuditEvent, AuditEventRow, AuditHeader, AuditSkeleton, channelLabels, outcomeLabels } from "~/components/audit/audit-event-row";
import { ScheduleChanges } from "~/components/audit/schedule-changes";
import { errorMessage } from "~/components/errors";
import { useExportKinds } from "~/components/exports/export-kinds";
import { useTeam } from "~/components/team-context";
import { Button, Spinner } from "~/components/ui/button";
import { Field, inputClass } from "~/components/ui/fields";
import { EmptyState, ErrorState, InlineError, PageHeader } from "~/components/ui/states";
import type { ExportKind } from "~/server/exports/job/export-job";
import { useTRPC } from "~/trpc/react";

const PAGE_SIZE = 50;
// Typing in the search box waits this long for a pause before asking the server.
const SEARCH_DEBOUNCE_MS = 300;

type Filters = {
  outcome: AuditEvent["outcome"] | "";
  kind: ExportKind | "";
  channel: AuditEvent["channel"] | "";
  user: AuditEvent["user"] | null;
  /** Calendar days (yyyy-mm-dd) in the browser's time zone, both included. */
  fromDay: string;
  toDay: string;
  resource: string;
};

const noFilters: Filters = { outcome: "", kind: "", channel: "", user: null, fromDay: "", toDay: "", resource: "" };

/** The start of a local calendar day, `days` after the given one. */
function localDay(day: string, days = 0): Date {
  const [y, m, d] = day.split("-").map(Number);
  return new Date(y!, m! - 1, d! + days);
}

function useDebounced<T>(value: T, ms: number): T {
  const [settled, setSettled] = useState(value);
  useEffect(() => {
    const timer = setTimeout(() => setSettled(value), ms);
    return () => clearTimeout(timer);
  }, [value, ms]);
  return settled;
}

export function AuditLogPage() {
  const { teamId } = useTeam();
  const trpc = useTRPC();
  const [filters, setFilters] = useState<Filters>(noFilters);
  const resource = useDebounced(filters.resource.trim(), SEARCH_DEBOUNCE_MS);
  const set = <K extends keyof Filters>(key: K, value: Filters[K]) => setFilters((f) => ({ ...f, [key]: value }));
  const filtered = JSON.stringify(filters) !== JSON.stringify(noFilters);

  const log = useInfiniteQuery({
    ...trpc.audit.list.infiniteQueryOptions(
      {
        teamId,
        limit: PAGE_SIZE,
        outcome: filters.outcome || undefined,
        kind: filters.kind || undefined,
        channel: filters.channel || undefined,
        userId: filters.user?.id,
        from: filters.fromDay ? localDay(filters.fromDay) : undefined,
        // The "to" day is included, so the bound is the start of the next day.
        to: filters.toDay ? localDay(filters.toDay, 1) : undefined,
        resource: resource || undefined,
      },
      { getNextPageParam: (page) => page.nextCursor },
    ),
    // Changing a filter keeps the old rows, dimmed, until the new ones arrive.
    placeholderData: keepPreviousData,
  });
  const events = log.data?.pages.flatMap((p) => p.items) ?? [];

  let body: React.ReactNode;
  if (log.isPending) {
    body = (
      <ListFrame>
        <AuditSkeleton />
      </ListFrame>
    );
  } else if (log.isError && !log.data) {
    body = <ErrorState title="Could not load the audit log" message={errorMessage(log.error)} onRetry={() => void log.refetch()} retrying={log.isFetching} />;
  } else if (events.length === 0) {
    body = filtered ? (
      <EmptyState title="No exports match these filters" action={<Button onClick={() => setFilters(noFilters)}>Clear filters</Button>} />
    ) : (
      <EmptyState title="No exports yet">Every export started in this team, from the browser, a typed client or the REST API, will be listed here.</EmptyState>
    );
  } else {
    body = (
      <ListFrame>
        <AuditHeader />
        <ul aria-label="Exports, newest first" aria-busy={log.isPlaceholderData} className={`flex flex-col gap-3 lg:gap-0 ${log.isPlaceholderData ? "opacity-60" : ""}`}>
          {events.map((event) => (
            <AuditEventRow key={event.id} event={event} onPickUser={(user) => set("user", user)} />
          ))}
        </ul>
        {log.isRefetchError && <p className="mt-3 px-4 text-sm text-amber-800">Could not refresh the log: {errorMessage(log.error)}. Showing what was loaded last.</p>}
        <div className="flex flex-col items-center gap-3 px-4 py-4">
          {log.isFetchNextPageError && <InlineError>Could not load more: {errorMessage(log.error)}</InlineError>}
          {log.hasNextPage ? (
            <Button onClick={() => void log.fetchNextPage()} disabled={log.isFetchingNextPage} aria-busy={log.isFetchingNextPage}>
              {log.isFetchingNextPage && <Spinner />}
              {log.isFetchingNextPage ? "Loading…" : "Load more"}
            </Button>
          ) : (
            <p className="text-sm text-slate-500">That is everything{filtered ? " that matches" : ""}.</p>
          )}
        </div>
      </ListFrame>
    );
  }

  return (
    <section aria-labelledby="audit-heading">
      <PageHeader
        id="audit-heading"
        title="Audit log"
        description="Every export started in this team: who ran it, through which channel, and how it ended. Kept after the export itself has expired."
      />
      <FilterBar filters={filters} set={set} onClear={() => setFilters(noFilters)} filtered={filtered} />
      {body}
      <ScheduleChanges />
    </section>
  );
}

/** Cards stand alone on small screens; from lg up the rows share one framed table. */
function ListFrame({ children }: { children: React.ReactNode }) {
  return <div className="lg:rounded-lg lg:border lg:border-slate-200 lg:bg-white lg:pt-3 lg:shadow-sm">{children}</div>;
}

function Choice<T extends string>({ label, value, options, onChange }: { label: string; value: T | ""; options: Record<T, string>; onChange: (value: T | "") => void }) {
  return (
    <Field label={label}>
      {(p) => (
        <select {...p} value={value} onChange={(e) => onChange(e.target.value as T | "")} className={inputClass}>
          <option value="">Any</option>
          {(Object.entries(options) as [T, string][]).map(([id, text]) => (
            <option key={id} value={id}>
              {text}
            </option>
          ))}
        </select>
      )}
    </Field>
  );
}

function FilterBar({
  filters,
  set,
  onClear,
  filtered,
}: {
  filters: Filters;
  set: <K extends keyof Filters>(key: K, value: Filters[K]) => void;
  onClear: () => void;
  filtered: boolean;
}) {
  const kinds = useExportKinds();
  const kindOptions = Object.fromEntries(Object.entries(kinds).map(([id, kind]) => [id, kind.label])) as Record<ExportKind, string>;
  return (
    <form role="search" aria-label="Filter the audit log" onSubmit={(e) => e.preventDefault()} className="mb-6 flex flex-col gap-3 rounded-lg border border-slate-200 bg-white p-4 shadow-sm">
      <div className="grid grid-cols-1 gap-3 sm:grid-cols-2 lg:grid-cols-[minmax(0,1.5fr)_repeat(5,minmax(0,1fr))]">
        <Field label="Resource">
          {(p) => (
            <input {...p} type="search" value={filters.resource} onChange={(e) => set("resource", e.target.value)} maxLength={200} placeholder="Name or id" className={inputClass} />
          )}
        </Field>
        <Choice label="Outcome" value={filters.outcome} options={outcomeLabels} onChange={(v) => set("outcome", v)} />
        <Choice label="Kind" value={filters.kind} options={kindOptions} onChange={(v) => set("kind", v)} />
        <Choice label="Channel" value={filters.channel} options={channelLabels} onChange={(v) => set("channel", v)} />
        <Field label="From">
          {(p) => <input {...p} type="date" value={filters.fromDay} max={filters.toDay || undefined} onChange={(e) => set("fromDay", e.target.value)} className={inputClass} />}
        </Field>
        <Field label="To">
          {(p) => <input {...p} type="date" value={filters.toDay} min={filters.fromDay || undefined} onChange={(e) => set("toDay", e.target.value)} className={inputClass} />}
        </Field>
      </div>
      <div className="flex flex-wrap items-center gap-3 text-sm">
        {filters.user ? (
          <span className="inline-flex items-center gap-1 rounded-full bg-indigo-50 py-0.5 pr-1 pl-3 text-indigo-900 ring-1 ring-indigo-200 ring-inset">
            Started by {filters.user.name ?? filters.user.email}
            <button
              type="button"
              onClick={() => set("user", null)}
              aria-label={`Show exports by anyone, not only ${filters.user.name ?? filters.user.email}`}
              className="grid size-6 place-items-center rounded-full hover:bg-indigo-100 focus-visible:outline-2 focus-visible:outline-indigo-600"
            >
              <span aria-hidden="true">×</span>
            </button>
          </span>
        ) : (
          <span className="text-slate-500">Select a person&apos;s name to see only their exports.</span>
        )}
        {filtered && (
          <Button size="sm" onClick={onClear} className="ml-auto">
            Clear filters
          </Button>
        )}
      </div>
    </form>
  );
}
