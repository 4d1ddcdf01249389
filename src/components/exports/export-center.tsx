"use client";

import { keepPreviousData, useQuery } from "@tanstack/react-query";
import Link from "next/link";
import { useRouter } from "next/navigation";
import { useCallback, useEffect, useRef, useState } from "react";

import { errorMessage } from "~/components/errors";
import { PAGE_SIZE, preferNewerJobs } from "~/components/exports/export-cache";
import { useExportKinds } from "~/components/exports/export-kinds";
import { fileAvailable, isTerminalStatus, jobName } from "~/components/exports/export-labels";
import { ExportRow, rowGrid } from "~/components/exports/export-row";
import { NewExportDialog } from "~/components/exports/new-export-dialog";
import { useTeamProgress } from "~/components/exports/team-progress";
import { saveFromUrl } from "~/components/exports/download";
import { downloadedInThisTab, startedInThisTab } from "~/components/exports/tab-memory";
import { type ExportTarget, targetLabel } from "~/components/exports/start-export";
import { useExportLimits } from "~/components/exports/use-export-limits";
import { formatInteger } from "~/components/format";
import { useTeam } from "~/components/team-context";
import { Button, buttonClass } from "~/components/ui/button";
import { EmptyState, ErrorState, PageHeader, Skeleton } from "~/components/ui/states";
import { useToast } from "~/components/ui/toast";
import { durationInWords } from "~/server/durations";
import type { ExportJob, ExportStatus } from "~/server/exports/job/export-job";
import { useTRPC, useTRPCClient } from "~/trpc/react";

const POLL_MS = 3000;

export function ExportCenter({ page }: { page: number }) {
  const { teamId, userId } = useTeam();
  const trpc = useTRPC();
  const router = useRouter();
  const toast = useToast();
  const [creating, setCreating] = useState(false);
  const limits = useExportLimits();
  const offset = (page - 1) * PAGE_SIZE;

  const list = useQuery({
    ...trpc.exports.list.queryOptions({ teamId, limit: PAGE_SIZE, offset }),
    placeholderData: keepPreviousData,
    // The fallback while the team's progress stream is down. An outcome email is sent just after
    // its export ends: the list keeps polling until it went.
    refetchInterval: (query) => (query.state.data?.items.some((j) => !isTerminalStatus(j.status) || j.email?.status === "PENDING") ? POLL_MS : false),
    structuralSharing: preferNewerJobs,
  });
  const items = list.data?.items;
  const stream = useTeamProgress(teamId);
  const liveRegion = useRef<HTMLDivElement>(null);
  const announce = useAnnouncer(liveRegion);
  useWatchJobs(items, userId, announce);

  function onStarted(_job: ExportJob, target: ExportTarget) {
    toast.success(`Export of “${targetLabel(target)}” started.`);
    if (page !== 1) router.push(`/${teamId}/exports`);
  }

  function onRestarted(job: ExportJob) {
    toast.success(`Export of “${jobName(job)}” started again.`, page !== 1 ? { label: "See it", href: `/${teamId}/exports` } : undefined);
  }

  const newExportButton = (
    <Button variant="primary" onClick={() => setCreating(true)}>
      <svg aria-hidden="true" viewBox="0 0 20 20" fill="currentColor" className="size-4">
        <path d="M10.75 4.75a.75.75 0 0 0-1.5 0v4.5h-4.5a.75.75 0 0 0 0 1.5h4.5v4.5a.75.75 0 0 0 1.5 0v-4.5h4.5a.75.75 0 0 0 0-1.5h-4.5v-4.5Z" />
      </svg>
      New export
    </Button>
  );

  let body: React.ReactNode;
  if (list.isPending) {
    body = (
      <ListFrame>
        <ListSkeleton />
      </ListFrame>
    );
  } else if (list.isError && !list.data) {
    body = <ErrorState title="Could not load exports" message={errorMessage(list.error)} onRetry={() => void list.refetch()} retrying={list.isFetching} />;
  } else if (list.data.items.length === 0 && list.data.total === 0) {
    body = (
      <EmptyState title="No exports yet — start one" action={newExportButton}>
        Export a metric&apos;s rows or a document&apos;s visits as a file, in the format you choose. Exports run in the background, and you can watch them here.
      </EmptyState>
    );
  } else if (list.data.items.length === 0) {
    body = (
      <EmptyState title="Nothing on this page" action={<Link href={`/${teamId}/exports`} className={buttonClass("secondary")}>Go to the newest exports</Link>}>
        Exports may have been deleted or expired since this page was opened.
      </EmptyState>
    );
  } else {
    body = (
      <ListFrame>
        <div aria-hidden="true" className={`hidden gap-x-4 border-b border-slate-200 px-4 pb-2 text-xs font-medium text-slate-500 lg:grid ${rowGrid}`}>
          <span>Export</span>
          <span>Status</span>
          <span>Progress / file</span>
          <span className="text-right">Actions</span>
        </div>
        <ul aria-label="Exports, newest first" aria-busy={list.isPlaceholderData} className={`flex flex-col gap-3 lg:gap-0 ${list.isPlaceholderData ? "opacity-60" : ""}`}>
          {list.data.items.map((job) => (
            <ExportRow key={job.id} job={job} currentUserId={userId} onRestarted={onRestarted} streamInterrupted={stream.interrupted} />
          ))}
        </ul>
        {list.isError && <p className="mt-3 text-sm text-amber-800">Could not refresh the list: {errorMessage(list.error)}. Showing what was loaded last.</p>}
        <Pagination teamId={teamId} page={page} total={list.data.total} shown={list.data.items.length} />
      </ListFrame>
    );
  }

  return (
    <section aria-labelledby="exports-heading">
      <PageHeader
        id="exports-heading"
        title="Exports"
        description={
          limits
            ? `Your team's exports, newest first. Metric files are deleted ${durationInWords(limits.fileLifetimeSeconds.metric)} after they are ready, so download them promptly.`
            : "Your team's exports, newest first."
        }
        action={newExportButton}
      />
      {body}
      {/* Status changes and completions only: per-row numbers would turn this into a ticker. */}
      <div ref={liveRegion} aria-live="polite" aria-atomic="true" className="sr-only" />
      <NewExportDialog teamId={teamId} open={creating} onClose={() => setCreating(false)} onStarted={onStarted} />
    </section>
  );
}

/** Cards stand alone on small screens; from lg up the rows share one framed table. */
function ListFrame({ children }: { children: React.ReactNode }) {
  return <div className="lg:rounded-lg lg:border lg:border-slate-200 lg:bg-white lg:pt-3 lg:shadow-sm">{children}</div>;
}

function ListSkeleton() {
  return (
    <div aria-busy="true" aria-label="Loading exports" className="flex flex-col gap-3 lg:gap-0">
      {Array.from({ length: 5 }, (_, i) => (
        <div key={i} className={`grid grid-cols-[minmax(0,1fr)_auto] gap-x-4 gap-y-3 rounded-lg border border-slate-200 bg-white p-4 lg:items-center lg:rounded-none lg:border-0 lg:border-b lg:border-slate-100 lg:py-3 ${rowGrid}`}>
          <div className="flex flex-col gap-1.5">
            <Skeleton className="h-3 w-16" />
            <Skeleton className="h-4 w-48 max-w-full" />
            <Skeleton className="h-3 w-32" />
          </div>
          <Skeleton className="h-5 w-20 rounded-full" />
          <div className="col-span-2 flex h-[3.75rem] flex-col justify-center gap-2 lg:col-span-1">
            <Skeleton className="h-1.5 w-full" />
            <Skeleton className="h-3 w-40" />
          </div>
          <div className="col-span-2 flex gap-2 lg:col-span-1 lg:justify-end">
            <Skeleton className="h-8 w-24" />
            <Skeleton className="h-8 w-16" />
          </div>
        </div>
      ))}
    </div>
  );
}

function Pagination({ teamId, page, total, shown }: { teamId: string; page: number; total: number; shown: number }) {
  const pages = Math.max(1, Math.ceil(total / PAGE_SIZE));
  if (pages <= 1 && page === 1) {
    return <p className="px-4 py-3 text-sm text-slate-500 tabular-nums">{formatInteger(total)} {total === 1 ? "export" : "exports"}</p>;
  }
  const first = (page - 1) * PAGE_SIZE + 1;
  const href = (p: number) => (p <= 1 ? `/${teamId}/exports` : `/${teamId}/exports?page=${p}`);
  const link = (p: number, label: string, enabled: boolean) =>
    enabled ? (
      <Link href={href(p)} className={buttonClass("secondary", "sm")} rel={p < page ? "prev" : "next"}>
        {label}
      </Link>
    ) : (
      <span aria-disabled="true" className={buttonClass("secondary", "sm", "pointer-events-none opacity-50")}>
        {label}
      </span>
    );

  return (
    <nav aria-label="Pages of exports" className="flex flex-wrap items-center justify-between gap-3 px-1 py-4 lg:px-4 lg:py-3">
      <p className="text-sm text-slate-600 tabular-nums">
        {formatInteger(first)}–{formatInteger(first + shown - 1)} of {formatInteger(total)}
      </p>
      <div className="flex items-center gap-2">
        {link(page - 1, "Previous", page > 1)}
        <span className="text-sm text-slate-600 tabular-nums">
          Page {page} of {pages}
        </span>
        {link(page + 1, "Next", page < pages)}
      </div>
    </nav>
  );
}

/**
 * Writes to a polite live region directly, batching what arrives together into one sentence
 * group, so a poll that changes three jobs is read as one announcement.
 */
function useAnnouncer(ref: React.RefObject<HTMLDivElement | null>) {
  const pending = useRef<{ timer?: ReturnType<typeof setTimeout>; queue: string[] }>({ queue: [] });
  const announce = useCallback((message: string) => {
    const state = pending.current;
    state.queue.push(message);
    clearTimeout(state.timer);
    // Emptied first, so the same sentence twice in a row still counts as a change.
    if (ref.current) ref.current.textContent = "";
    state.timer = setTimeout(() => {
      if (ref.current) ref.current.textContent = state.queue.join(" ");
      state.queue = [];
    }, 150);
  }, [ref]);
  useEffect(() => {
    const state = pending.current;
    return () => clearTimeout(state.timer);
  }, []);
  return announce;
}

const statusSentence: Record<ExportStatus, string> = {
  PENDING: "is waiting to start",
  PROCESSING: "is running",
  COMPLETED: "is complete",
  FAILED: "failed",
  CANCELLED: "was cancelled",
};

/**
 * Watches the list for status changes: announces them, and downloads the user's own export
 * when it completes, if this page saw it unfinished or this tab started it (a small export
 * can finish before the page that it leads to has loaded). Any other finished export is not
 * fetched behind the user's back. Downloaded ids live in sessionStorage, so a reload or a
 * second mount never fetches twice.
 */
function useWatchJobs(items: ExportJob[] | undefined, userId: string, announce: (message: string) => void) {
  const client = useTRPCClient();
  const toast = useToast();
  const kinds = useExportKinds();
  const seen = useRef(new Map<string, ExportStatus>());
  const sawRunning = useRef(new Set<string>());
  const downloading = useRef(new Set<string>());

  useEffect(() => {
    if (!items) return;
    for (const job of items) {
      const before = seen.current.get(job.id);
      seen.current.set(job.id, job.status);
      const mine = job.userId === userId;
      if (!isTerminalStatus(job.status)) {
        sawRunning.current.add(job.id);
      }

      const autoDownload =
        mine &&
        job.status === "COMPLETED" &&
        (sawRunning.current.has(job.id) || startedInThisTab.has(job.id)) &&
        fileAvailable(job, Date.now()) &&
        !downloading.current.has(job.id) &&
        !downloadedInThisTab.has(job.id);

      if (autoDownload) {
        downloading.current.add(job.id);
        downloadedInThisTab.add(job.id);
        toast.success(`Your export “${jobName(job)}” is ready — downloading.`);
        client.exports.downloadUrl
          .mutate({ teamId: job.teamId, exportId: job.id })
          .then((link) => saveFromUrl(link.url, link.fileName))
          .catch((error: unknown) => toast.error(`Could not download “${jobName(job)}”: ${errorMessage(error)}`));
        continue;
      }
      if (before && before !== job.status) {
        const detail = job.status === "FAILED" && job.error ? `: ${job.error}` : ".";
        announce(`${kinds[job.type].label} export “${jobName(job)}” ${statusSentence[job.status]}${detail}`);
      }
    }
  }, [items, userId, announce, client, toast, kinds]);
}
