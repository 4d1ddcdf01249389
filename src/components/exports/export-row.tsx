"use client";

import { useMutation } from "@tanstack/react-query";
import { useId, useState } from "react";

import { errorMessage, newRequestId, rateLimitMessage } from "~/components/errors";
import { useExportCache } from "~/components/exports/export-cache";
import { fileFormatLabel, useExportFormats } from "~/components/exports/export-formats";
import { useExportKinds } from "~/components/exports/export-kinds";
import { downloadBlockedReason, isTerminalStatus, jobName } from "~/components/exports/export-labels";
import { JobProgress } from "~/components/exports/job-progress";
import { StatusBadge } from "~/components/exports/status-badge";
import { useDownloadExport } from "~/components/exports/download";
import { formatBytes, formatCountdown, formatDateTime, formatInteger, formatRelative } from "~/components/format";
import { useTeam } from "~/components/team-context";
import { Spinner } from "~/components/ui/button";
import { ConfirmDialog } from "~/components/ui/confirm-dialog";
import { GuardedButton } from "~/components/ui/guarded-button";
import { Skeleton } from "~/components/ui/states";
import { useToast } from "~/components/ui/toast";
import { useNow } from "~/components/use-now";
import { useSingleFlight } from "~/components/use-single-flight";
import type { ExportJob } from "~/server/exports/job/export-job";
import { type ExportChange, exportChangeRefusal } from "~/server/teams/permissions";
import { useTRPC } from "~/trpc/react";

/**
 * One column template for the header and every row, with fixed widths for everything but the
 * name: rows are separate grids, and fixed tracks are what keep them aligned, and keep a row
 * still while its numbers change. Below lg the row is a card.
 */
export const rowGrid = "lg:grid-cols-[minmax(0,1fr)_7rem_17rem_16.5rem]";

type RowProps = {
  job: ExportJob;
  currentUserId: string;
  onRestarted: (job: ExportJob) => void;
  /** Whether the team's live stream is down (the list's poll stands in meanwhile). */
  streamInterrupted: boolean;
};

export function ExportRow({ job, currentUserId, onRestarted, streamInterrupted }: RowProps) {
  const kind = useExportKinds()[job.type];
  const { choices } = useExportFormats();
  const now = useNow();
  const name = jobName(job);
  const nameId = useId();
  const mine = job.userId === currentUserId;

  return (
    <li
      aria-labelledby={nameId}
      className={`grid grid-cols-[minmax(0,1fr)_auto] gap-x-4 gap-y-3 rounded-lg border border-slate-200 bg-white p-4 shadow-sm lg:items-center lg:rounded-none lg:border-0 lg:border-b lg:border-slate-100 lg:px-4 lg:py-3 lg:shadow-none lg:last:border-b-0 ${rowGrid}`}
    >
      <div className="min-w-0">
        <p className="text-xs font-medium text-slate-500">
          {kind.label}
          {" · "}
          <span>{fileFormatLabel(choices, job)}</span>
        </p>
        <p id={nameId} className="truncate font-medium text-slate-900" title={name}>
          {name}
        </p>
        <p className="truncate text-xs text-slate-500">
          Started by {mine ? "you" : "a teammate"}
          {" · "}
          <time dateTime={job.createdAt} title={formatDateTime(job.createdAt)}>
            {now === null ? formatDateTime(job.createdAt) : formatRelative(job.createdAt, now)}
          </time>
        </p>
        {job.email ? <EmailState email={job.email} /> : !isTerminalStatus(job.status) && !kind.emailRefusal && <EmailMeButton job={job} name={name} />}
      </div>

      <div className="self-start lg:self-center">
        <StatusBadge status={job.status} />
      </div>

      {/* Fixed height: progress, result and error all fit the same box, so nothing below moves. */}
      <div className="col-span-2 flex h-[3.75rem] min-w-0 flex-col justify-center lg:col-span-1">
        {isTerminalStatus(job.status) ? <JobResult job={job} now={now} /> : <JobProgress job={job} interrupted={streamInterrupted} />}
      </div>

      <RowActions job={job} now={now} name={name} onRestarted={onRestarted} />
    </li>
  );
}

function JobResult({ job, now }: { job: ExportJob; now: number | null }) {
  const unit = useExportKinds()[job.type].unit;
  if (job.status === "FAILED") {
    return (
      <p className="line-clamp-3 text-xs break-words text-red-800" title={job.error}>
        {job.error ?? "The export failed."}
      </p>
    );
  }
  if (job.status === "CANCELLED") {
    const done = job.progress?.rows;
    return (
      <p className="text-xs text-slate-600 tabular-nums">
        Cancelled{done ? ` after ${formatInteger(done)} ${done === 1 ? unit.one : unit.many}` : " before it finished"}.
      </p>
    );
  }
  const file = job.file;
  if (!file) return <p className="text-xs text-slate-600">Completed.</p>;
  return (
    <div className="flex h-full flex-col justify-center gap-0.5 text-xs tabular-nums">
      <p className="truncate font-mono text-slate-800" title={file.name}>
        {file.name}
      </p>
      <p className="flex items-center gap-1.5 text-slate-600">
        <span className="truncate">
          {formatBytes(file.size)} · {formatInteger(file.rowCount)} {file.rowCount === 1 ? unit.one : unit.many}
        </span>
        {file.truncated && (
          <span
            className="shrink-0 rounded bg-amber-100 px-1.5 py-px font-medium text-amber-900 ring-1 ring-amber-300 ring-inset"
            title="The export stopped at the row limit; the file holds only the first rows"
          >
            Truncated
          </span>
        )}
      </p>
      <Expiry expiresAt={file.expiresAt} deletedAt={file.deletedAt} now={now} />
    </div>
  );
}

/**
 * "Email me when ready" on a running export (Papermark's "Email to …"): the server emails the
 * signed-in user the download link, or the reason, when it ends. Kinds whose file lives too
 * short a time for an emailed link (metric exports) do not offer it.
 */
function EmailMeButton({ job, name }: { job: ExportJob; name: string }) {
  const trpc = useTRPC();
  const toast = useToast();
  const cache = useExportCache(job.teamId);
  const once = useSingleFlight();
  const emailMe = useMutation(
    trpc.exports.sendEmail.mutationOptions({
      onSuccess: (updated) => {
        cache.update(updated);
        toast.info(`An email will go to ${updated.email?.to} when “${name}” ends.`);
      },
      onError: (error) => {
        toast.error(`Could not ask for an email about “${name}”: ${errorMessage(error)}`);
        void cache.refresh();
      },
    }),
  );
  return (
    <button
      type="button"
      className="text-xs font-medium text-indigo-700 underline-offset-2 hover:underline disabled:text-slate-400"
      onClick={() => once(() => emailMe.mutateAsync({ teamId: job.teamId, exportId: job.id }))}
      disabled={emailMe.isPending}
      aria-busy={emailMe.isPending}
      title="Get an email with the download link when the export ends"
    >
      {emailMe.isPending ? "Asking for an email…" : "Email me when ready"}
    </button>
  );
}

/** The outcome email asked for on this export: will be sent, sent, or failed with the reason. */
function EmailState({ email }: { email: NonNullable<ExportJob["email"]> }) {
  const { text, tone } =
    email.status === "SENT"
      ? { text: `Email sent to ${email.to}`, tone: "text-emerald-800" }
      : email.status === "FAILED"
        ? { text: `Email to ${email.to} failed: ${email.error ?? "no reason given"}`, tone: "text-red-800" }
        : { text: `Email will be sent to ${email.to}${email.error ? ` (last try failed: ${email.error})` : ""}`, tone: "text-slate-600" };
  return (
    <p className={`truncate text-xs ${tone}`} title={text} data-testid="email-state">
      {text}
    </p>
  );
}

function Expiry({ expiresAt, deletedAt, now }: { expiresAt: string; deletedAt?: string; now: number | null }) {
  if (now === null && !deletedAt) return <Skeleton className="h-3 w-24" />;
  const left = Date.parse(expiresAt) - (now ?? 0);
  if (deletedAt || left <= 0) {
    return <p className="text-slate-500">File deleted: export again for a new one</p>;
  }
  // Metric files live a minute by default, visit files days: a ticking h:mm:ss only helps for the short ones.
  const label = left < 3_600_000 ? `expires in ${formatCountdown(left)}` : `expires ${formatRelative(expiresAt, now ?? Date.parse(expiresAt), "always")}`;
  return (
    <p className={left < 15_000 ? "font-medium text-amber-800" : "text-slate-600"} title={`Deleted at ${formatDateTime(expiresAt)}`}>
      {label}
    </p>
  );
}

function RowActions({ job, now, name, onRestarted }: { job: ExportJob; now: number | null; name: string; onRestarted: (job: ExportJob) => void }) {
  const trpc = useTRPC();
  const toast = useToast();
  const cache = useExportCache(job.teamId);
  const { userId, role } = useTeam();
  const [confirmingDelete, setConfirmingDelete] = useState(false);
  const { download, pending: downloading } = useDownloadExport(job.teamId);
  const once = useSingleFlight();

  const cancel = useMutation(
    trpc.exports.cancel.mutationOptions({
      onSuccess: (updated) => cache.update(updated),
      onError: (error) => {
        toast.error(`Could not cancel “${name}”: ${errorMessage(error)}`);
        void cache.refresh();
      },
    }),
  );
  const remove = useMutation(
    trpc.exports.delete.mutationOptions({
      onSuccess: () => {
        setConfirmingDelete(false);
        cache.remove(job.id);
        toast.info(`Deleted the export of “${name}”.`);
      },
    }),
  );
  const retry = useMutation(
    trpc.exports.retry.mutationOptions({
      onSuccess: (created) => {
        cache.insert(created);
        onRestarted(created);
      },
      onError: (error) => toast.error(rateLimitMessage(error) ?? `Could not retry “${name}”: ${errorMessage(error)}`),
    }),
  );

  const blocked = downloadBlockedReason(job, now);
  const running = !isTerminalStatus(job.status);
  const canRetry = job.status === "FAILED" || job.status === "CANCELLED";
  const refusal = (change: ExportChange) => exportChangeRefusal({ userId, role }, job, change);

  function onDownload() {
    once(() =>
      download(job.id).catch((error: unknown) => {
        toast.error(`Could not download “${name}”: ${errorMessage(error)}`);
        void cache.refresh();
      }),
    );
  }

  return (
    <div className="col-span-2 flex flex-wrap items-center gap-2 lg:col-span-1 lg:flex-nowrap lg:justify-end">
      <GuardedButton
        size="sm"
        variant={blocked ? "secondary" : "primary"}
        onClick={onDownload}
        blockedBy={blocked}
        disabled={downloading}
        title={`Download ${job.file?.name ?? "the file"}`}
        aria-busy={downloading}
      >
        {downloading ? <Spinner /> : <DownloadIcon />}
        Download
      </GuardedButton>
      {running && (
        <GuardedButton
          size="sm"
          onClick={() => once(() => cancel.mutateAsync({ teamId: job.teamId, exportId: job.id }))}
          blockedBy={refusal("cancel")}
          disabled={cancel.isPending}
          aria-busy={cancel.isPending}
        >
          {cancel.isPending ? "Cancelling…" : "Cancel"}
        </GuardedButton>
      )}
      {canRetry && (
        <GuardedButton
          size="sm"
          onClick={() => once(() => retry.mutateAsync({ teamId: job.teamId, exportId: job.id, requestId: newRequestId() }))}
          blockedBy={refusal("retry")}
          disabled={retry.isPending}
          aria-busy={retry.isPending}
        >
          {retry.isPending ? "Retrying…" : "Retry"}
        </GuardedButton>
      )}
      <GuardedButton size="sm" variant="subtle-danger" onClick={() => setConfirmingDelete(true)} blockedBy={refusal("delete")} aria-label={`Delete the export of ${name}`}>
        Delete
      </GuardedButton>

      <ConfirmDialog
        open={confirmingDelete}
        onClose={() => {
          setConfirmingDelete(false);
          remove.reset();
        }}
        onConfirm={() => once(() => remove.mutateAsync({ teamId: job.teamId, exportId: job.id }))}
        pending={remove.isPending}
        error={remove.error ? errorMessage(remove.error) : null}
        title="Delete this export?"
        confirmLabel="Delete export"
        pendingLabel="Deleting…"
      >
        <p>
          The export of <strong className="font-medium text-slate-900">{name}</strong> and its file will be deleted. This cannot be undone.
        </p>
        {running && <p className="mt-2">It is still running, so it will be cancelled first.</p>}
      </ConfirmDialog>
    </div>
  );
}

function DownloadIcon() {
  return (
    <svg aria-hidden="true" viewBox="0 0 20 20" fill="currentColor" className="size-4">
      <path d="M10.75 2.75a.75.75 0 0 0-1.5 0v8.614L6.295 8.235a.75.75 0 1 0-1.09 1.03l4.25 4.5a.75.75 0 0 0 1.09 0l4.25-4.5a.75.75 0 0 0-1.09-1.03l-2.955 3.129V2.75Z" />
      <path d="M3.5 12.75a.75.75 0 0 0-1.5 0v2.5A2.75 2.75 0 0 0 4.75 18h10.5A2.75 2.75 0 0 0 18 15.25v-2.5a.75.75 0 0 0-1.5 0v2.5c0 .69-.56 1.25-1.25 1.25H4.75c-.69 0-1.25-.56-1.25-1.25v-2.5Z" />
    </svg>
  );
}
