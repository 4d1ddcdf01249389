import type { inferRouterOutputs } from "@trpc/server";

import { fileFormatLabel, useExportFormats } from "~/components/exports/export-formats";
import { useExportKinds } from "~/components/exports/export-kinds";
import { formatBytes, formatDateTime, formatDuration, formatInteger } from "~/components/format";
import { Badge, type BadgeTone } from "~/components/ui/badge";
import { Skeleton } from "~/components/ui/states";
import type { AppRouter } from "~/server/api/root";
import type { ExportKind } from "~/server/exports/job/export-job";

export type AuditEvent = inferRouterOutputs<AppRouter>["audit"]["list"]["items"][number];
type Outcome = AuditEvent["outcome"];

/** One template for the header and every row, so the separate row grids line up; below lg a row is a card. */
export const auditGrid = "lg:grid-cols-[9.5rem_minmax(0,11rem)_minmax(0,1fr)_5.5rem_7rem_5.5rem_5.5rem_4.5rem]";

export const outcomeLabels: Record<Outcome, string> = {
  STARTED: "Started",
  COMPLETED: "Completed",
  FAILED: "Failed",
  CANCELLED: "Cancelled",
  LOST: "Lost",
};

const outcomeTones: Record<Outcome, BadgeTone> = {
  // Started and not settled yet: still running; blue like a running export.
  STARTED: "active",
  COMPLETED: "success",
  FAILED: "danger",
  CANCELLED: "warning",
  // Its job record vanished before it ended: nobody knows how it went.
  LOST: "neutral",
};

export const channelLabels: Record<AuditEvent["channel"], string> = { UI: "Browser", CLIENT: "Typed client", REST: "REST API", SCHEDULE: "Schedule" };

/** A figure with its label spoken and, on a card, shown; in the table the column header names it. */
function Figure({ label, children, title }: { label: string; children: React.ReactNode; title?: string }) {
  return (
    <p className="text-sm text-slate-700 tabular-nums lg:text-right" title={title}>
      <span className="text-slate-500 lg:sr-only">{label} </span>
      {children}
    </p>
  );
}

const dash = <span aria-label="none">—</span>;

export function AuditEventRow({ event, onPickUser }: { event: AuditEvent; onPickUser: (user: AuditEvent["user"]) => void }) {
  const kinds = useExportKinds();
  const { choices } = useExportFormats();
  const who = event.user.name ?? event.user.email;
  const resource = event.resourceName ?? event.resourceId;
  return (
    <li className={`grid grid-cols-2 gap-x-4 gap-y-2 rounded-lg border border-slate-200 bg-white p-4 shadow-sm lg:items-start lg:rounded-none lg:border-0 lg:border-b lg:border-slate-100 lg:py-3 lg:shadow-none lg:last:border-b-0 ${auditGrid}`}>
      <p className="col-span-2 text-sm text-slate-700 lg:col-span-1">
        <time dateTime={event.createdAt.toISOString()}>{formatDateTime(event.createdAt)}</time>
      </p>
      <p className="col-span-2 min-w-0 text-sm lg:col-span-1">
        <button
          type="button"
          onClick={() => onPickUser(event.user)}
          title={`${event.user.email} — show only their exports`}
          className="max-w-full truncate text-left text-slate-900 underline decoration-slate-300 underline-offset-2 hover:decoration-slate-600 focus-visible:outline-2 focus-visible:outline-indigo-600"
        >
          {who}
        </button>
      </p>
      <div className="col-span-2 min-w-0 lg:col-span-1">
        <p className="text-xs font-medium text-slate-500">
          {kinds[event.kind as ExportKind]?.label ?? event.kind} · {fileFormatLabel(choices, event)}
        </p>
        <p className="truncate font-medium text-slate-900" title={resource}>
          {resource}
        </p>
        {event.error && <p className="mt-1 text-sm break-words text-red-800">{event.error}</p>}
      </div>
      <p className="text-sm text-slate-700">
        <span className="text-slate-500 lg:sr-only">Channel </span>
        {channelLabels[event.channel]}
      </p>
      <p>
        <span className="sr-only">Outcome </span>
        <Badge tone={outcomeTones[event.outcome]}>{outcomeLabels[event.outcome]}</Badge>
      </p>
      <Figure label="Rows" title={event.truncated ? "Cut at the row limit" : undefined}>
        {event.rows === null ? dash : formatInteger(event.rows)}
        {event.truncated && <span className="text-amber-800"> (cut)</span>}
      </Figure>
      <Figure label="Size">{event.bytes === null ? dash : formatBytes(event.bytes)}</Figure>
      <Figure label="Took" title={event.durationMs === null ? undefined : `${formatInteger(event.durationMs)} ms`}>
        {event.durationMs === null ? dash : formatDuration(event.durationMs)}
      </Figure>
    </li>
  );
}

export function AuditHeader() {
  return (
    <div aria-hidden="true" className={`hidden gap-x-4 border-b border-slate-200 px-4 pb-2 text-xs font-medium text-slate-500 lg:grid ${auditGrid}`}>
      <span>When</span>
      <span>Who</span>
      <span>Export</span>
      <span>Channel</span>
      <span>Outcome</span>
      <span className="text-right">Rows</span>
      <span className="text-right">Size</span>
      <span className="text-right">Took</span>
    </div>
  );
}

export function AuditSkeleton() {
  return (
    <div aria-busy="true" aria-label="Loading the audit log" className="flex flex-col gap-3 lg:gap-0">
      {Array.from({ length: 5 }, (_, i) => (
        <div key={i} className={`grid grid-cols-2 gap-x-4 gap-y-2 rounded-lg border border-slate-200 bg-white p-4 lg:rounded-none lg:border-0 lg:border-b lg:border-slate-100 lg:py-3 ${auditGrid}`}>
          <Skeleton className="col-span-2 h-4 w-32 lg:col-span-1" />
          <Skeleton className="col-span-2 h-4 w-28 lg:col-span-1" />
          <Skeleton className="col-span-2 h-4 w-48 max-w-full lg:col-span-1" />
          <Skeleton className="h-4 w-16" />
          <Skeleton className="h-5 w-20 rounded-full" />
          <Skeleton className="h-4 w-12 lg:justify-self-end" />
          <Skeleton className="h-4 w-12 lg:justify-self-end" />
          <Skeleton className="h-4 w-10 lg:justify-self-end" />
        </div>
      ))}
    </div>
  );
}
