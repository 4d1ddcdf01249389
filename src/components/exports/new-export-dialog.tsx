"use client";

import { useQuery } from "@tanstack/react-query";
import Link from "next/link";
import { useEffect, useId, useRef, useState } from "react";

import { sourceTypeLabel } from "~/components/data-sources/source-types";
import { errorMessage, newRequestId, rateLimitMessage, retryAfterSeconds } from "~/components/errors";
import { useExportFormats } from "~/components/exports/export-formats";
import { useExportKinds } from "~/components/exports/export-kinds";
import { type ExportTarget, type FileChoice, targetKey, useStartExport } from "~/components/exports/start-export";
import { useExportLimits } from "~/components/exports/use-export-limits";
import { formatInteger } from "~/components/format";
import { Button, Spinner } from "~/components/ui/button";
import { Dialog, DialogActions } from "~/components/ui/dialog";
import { InlineError, Skeleton } from "~/components/ui/states";
import { tabIds, Tabs } from "~/components/ui/tabs";
import { useNow } from "~/components/use-now";
import { useSingleFlight } from "~/components/use-single-flight";
import { durationInWords } from "~/server/durations";
import type { ExportJob } from "~/server/exports/job/export-job";
import { useTRPC } from "~/trpc/react";

type NewExportDialogProps = {
  teamId: string;
  open: boolean;
  onClose: () => void;
  onStarted: (job: ExportJob, target: ExportTarget) => void;
  /** Opens straight on the confirmation, as the Metrics page's Export buttons do. */
  initialTarget?: ExportTarget | null;
};

export function NewExportDialog({ teamId, open, onClose, onStarted, initialTarget }: NewExportDialogProps) {
  // Asked for while the dialog is still closed, so that its confirmation opens with them.
  useExportLimits();
  return (
    <Dialog open={open} onClose={onClose} title={initialTarget ? "Export" : "New export"} size="lg">
      <ExportFlow
        teamId={teamId}
        initialTarget={initialTarget ?? null}
        onCancel={onClose}
        onStarted={(job, target) => {
          onStarted(job, target);
          onClose();
        }}
      />
    </Dialog>
  );
}

type Step = { kind: "pick" } | { kind: "confirm"; target: ExportTarget; requestId: string };

/** Lives only while the dialog is open (Dialog renders its body then), so every opening starts fresh. */
function ExportFlow({ teamId, initialTarget, onCancel, onStarted }: { teamId: string; initialTarget: ExportTarget | null; onCancel: () => void; onStarted: (job: ExportJob, target: ExportTarget) => void }) {
  // The requestId is made as the confirmation opens: every click on Start, and every retry of
  // a lost request, from this confirmation names the same export, which the server dedupes.
  const [step, setStep] = useState<Step>(() => (initialTarget ? { kind: "confirm", target: initialTarget, requestId: newRequestId() } : { kind: "pick" }));
  const [lastPicked, setLastPicked] = useState<string | null>(null);

  if (step.kind === "pick") {
    return (
      <Picker
        teamId={teamId}
        focusKey={lastPicked}
        onPick={(target) => {
          setLastPicked(targetKey(target));
          setStep({ kind: "confirm", target, requestId: newRequestId() });
        }}
      />
    );
  }
  return (
    <Confirm
      teamId={teamId}
      target={step.target}
      requestId={step.requestId}
      backLabel={initialTarget ? "Cancel" : "Back"}
      onBack={initialTarget ? onCancel : () => setStep({ kind: "pick" })}
      onStarted={onStarted}
    />
  );
}

type TabId = "metrics" | "visits";

/** The resource picker of the new export, also the Schedules form's. */
export function Picker({ teamId, onPick, focusKey }: { teamId: string; onPick: (target: ExportTarget) => void; focusKey: string | null }) {
  const [tab, setTab] = useState<TabId>(focusKey && !focusKey.startsWith("metric:") ? "visits" : "metrics");
  const [filter, setFilter] = useState("");
  const prefix = useId();
  const filterId = useId();
  const ids = tabIds(prefix, tab);
  const query = filter.trim().toLowerCase();
  const matches = (name: string) => !query || name.toLowerCase().includes(query);

  return (
    <div className="flex flex-col gap-4">
      <Tabs
        prefix={prefix}
        label="What to export"
        value={tab}
        onChange={setTab}
        tabs={[
          { id: "metrics", label: "Metrics" },
          { id: "visits", label: "Visits" },
        ]}
      />
      <div className="flex flex-col gap-1">
        <label htmlFor={filterId} className="text-sm font-medium text-slate-700">
          Filter
        </label>
        <input
          id={filterId}
          type="search"
          value={filter}
          onChange={(e) => setFilter(e.target.value)}
          placeholder={tab === "metrics" ? "Metric or data source name" : "Document, dataroom or group name"}
          autoComplete="off"
          data-autofocus={focusKey ? undefined : true}
          className="h-10 rounded-md border border-slate-300 px-3 text-sm placeholder:text-slate-400"
        />
      </div>
      {/* A fixed height, scrolled inside: switching tabs or filtering never resizes the dialog under the pointer. */}
      <div role="tabpanel" id={ids.panel} aria-labelledby={ids.tab} tabIndex={-1} className="-mx-1 h-[min(22rem,calc(100dvh-20rem))] min-h-40 overflow-y-auto px-1 py-1">
        {tab === "metrics" ? (
          <MetricChoices teamId={teamId} matches={matches} onPick={onPick} focusKey={focusKey} />
        ) : (
          <VisitChoices teamId={teamId} matches={matches} onPick={onPick} focusKey={focusKey} />
        )}
      </div>
    </div>
  );
}

function ChoiceSkeleton() {
  return (
    <div aria-busy="true" aria-label="Loading" className="flex flex-col gap-2">
      {[0, 1, 2].map((i) => (
        <Skeleton key={i} className="h-14 w-full" />
      ))}
    </div>
  );
}

function LoadError({ error, onRetry }: { error: unknown; onRetry: () => void }) {
  return (
    <div className="flex flex-col items-start gap-3">
      <InlineError>{errorMessage(error)}</InlineError>
      <Button size="sm" onClick={onRetry}>
        Try again
      </Button>
    </div>
  );
}

function Choice({ title, detail, onClick, indent = false, autoFocus = false }: { title: string; detail: React.ReactNode; onClick: () => void; indent?: boolean; autoFocus?: boolean }) {
  return (
    <li className={indent ? "pl-5" : undefined}>
      <button
        type="button"
        onClick={onClick}
        data-autofocus={autoFocus || undefined}
        className="group flex w-full items-center gap-3 rounded-md border border-slate-200 px-3 py-2.5 text-left hover:border-indigo-300 hover:bg-indigo-50 focus-visible:outline-2 focus-visible:outline-offset-1 focus-visible:outline-indigo-600"
      >
        <span className="min-w-0 flex-1">
          <span className="block truncate text-sm font-medium text-slate-900">{title}</span>
          <span className="block truncate text-xs text-slate-500">{detail}</span>
        </span>
        <svg aria-hidden="true" viewBox="0 0 20 20" fill="currentColor" className="size-4 shrink-0 text-slate-400 group-hover:text-indigo-600">
          <path fillRule="evenodd" d="M8.22 5.22a.75.75 0 0 1 1.06 0l4.25 4.25a.75.75 0 0 1 0 1.06l-4.25 4.25a.75.75 0 0 1-1.06-1.06L11.94 10 8.22 6.28a.75.75 0 0 1 0-1.06Z" clipRule="evenodd" />
        </svg>
      </button>
    </li>
  );
}

function NoMatch({ filtered, children }: { filtered: boolean; children: React.ReactNode }) {
  return <p className="rounded-md border border-dashed border-slate-300 px-4 py-8 text-center text-sm text-slate-600">{filtered ? "Nothing matches the filter." : children}</p>;
}

function MetricChoices({ teamId, matches, onPick, focusKey }: { teamId: string; matches: (name: string) => boolean; onPick: (target: ExportTarget) => void; focusKey: string | null }) {
  const trpc = useTRPC();
  const metrics = useQuery(trpc.metrics.list.queryOptions({ teamId }));
  if (metrics.isPending) return <ChoiceSkeleton />;
  if (metrics.isError) return <LoadError error={metrics.error} onRetry={() => void metrics.refetch()} />;

  const shown = metrics.data.filter((m) => matches(m.name) || matches(m.dataSource.name));
  if (shown.length === 0) {
    return (
      <NoMatch filtered={metrics.data.length > 0}>
        This team has no metrics yet. <Link href={`/${teamId}/metrics`} className="text-indigo-700 underline">See Metrics</Link>
      </NoMatch>
    );
  }
  return (
    <ul className="flex flex-col gap-2" aria-label="Metrics">
      {shown.map((m) => {
        const target: ExportTarget = { kind: "metric", metricId: m.id, name: m.name, dataSource: { name: m.dataSource.name, type: m.dataSource.type } };
        return (
          <Choice
            key={m.id}
            title={m.name}
            detail={`${m.dataSource.name} · ${sourceTypeLabel(m.dataSource.type)}`}
            onClick={() => onPick(target)}
            autoFocus={focusKey === targetKey(target)}
          />
        );
      })}
    </ul>
  );
}

function views(count: number) {
  return `${formatInteger(count)} ${count === 1 ? "view" : "views"}`;
}

function VisitChoices({ teamId, matches, onPick, focusKey }: { teamId: string; matches: (name: string) => boolean; onPick: (target: ExportTarget) => void; focusKey: string | null }) {
  const trpc = useTRPC();
  const resources = useQuery(trpc.visits.resources.queryOptions({ teamId }));
  if (resources.isPending) return <ChoiceSkeleton />;
  if (resources.isError) return <LoadError error={resources.error} onRetry={() => void resources.refetch()} />;

  const { documents, datarooms } = resources.data;
  const docs = documents.filter((d) => matches(d.name));
  // A dataroom stays listed when one of its groups matches, so the group has its context.
  const rooms = datarooms
    .map((r) => ({ ...r, groups: matches(r.name) ? r.groups : r.groups.filter((g) => matches(g.name)) }))
    .filter((r) => matches(r.name) || r.groups.length > 0);
  const anything = documents.length + datarooms.length > 0;

  if (docs.length === 0 && rooms.length === 0) {
    return <NoMatch filtered={anything}>This team has no documents or datarooms with visits to export.</NoMatch>;
  }

  return (
    <div className="flex flex-col gap-5">
      {docs.length > 0 && (
        <section aria-labelledby={`${teamId}-docs`}>
          <h3 id={`${teamId}-docs`} className="mb-2 text-xs font-semibold tracking-wide text-slate-500 uppercase">
            Documents
          </h3>
          <ul className="flex flex-col gap-2">
            {docs.map((d) => {
              const target: ExportTarget = { kind: "document", documentId: d.id, name: d.name, viewCount: d.viewCount };
              return <Choice key={d.id} title={d.name} detail={views(d.viewCount)} onClick={() => onPick(target)} autoFocus={focusKey === targetKey(target)} />;
            })}
          </ul>
        </section>
      )}
      {rooms.length > 0 && (
        <section aria-labelledby={`${teamId}-rooms`}>
          <h3 id={`${teamId}-rooms`} className="mb-2 text-xs font-semibold tracking-wide text-slate-500 uppercase">
            Datarooms and groups
          </h3>
          <ul className="flex flex-col gap-2">
            {rooms.map((r) => {
              const room: ExportTarget = { kind: "dataroom", dataroomId: r.id, name: r.name, viewCount: r.viewCount };
              return [
                <Choice key={r.id} title={r.name} detail={`Whole dataroom · ${views(r.viewCount)}`} onClick={() => onPick(room)} autoFocus={focusKey === targetKey(room)} />,
                ...r.groups.map((g) => {
                  const group: ExportTarget = { kind: "dataroom-group", dataroomId: r.id, groupId: g.id, name: g.name, dataroomName: r.name, viewCount: g.viewCount };
                  return (
                    <Choice
                      key={`${r.id}:${g.id}`}
                      indent
                      title={g.name}
                      detail={`Group in ${r.name} · ${views(g.viewCount)}`}
                      onClick={() => onPick(group)}
                      autoFocus={focusKey === targetKey(group)}
                    />
                  );
                }),
              ];
            })}
          </ul>
        </section>
      )}
    </div>
  );
}

function Quoted({ children }: { children: React.ReactNode }) {
  return <strong className="font-semibold text-slate-900">“{children}”</strong>;
}

export function TargetSummary({ target }: { target: ExportTarget }) {
  switch (target.kind) {
    case "metric":
      return (
        <>
          Export all rows of metric <Quoted>{target.name}</Quoted>
          {target.metricVersionNumber === undefined ? " (its latest version)" : `, version ${target.metricVersionNumber},`} from <Quoted>{target.dataSource.name}</Quoted> ({sourceTypeLabel(target.dataSource.type)}).
        </>
      );
    case "document":
      return (
        <>
          Export all {views(target.viewCount)} of document <Quoted>{target.name}</Quoted>.
        </>
      );
    case "dataroom":
      return (
        <>
          Export all {views(target.viewCount)} of dataroom <Quoted>{target.name}</Quoted>.
        </>
      );
    case "dataroom-group":
      return (
        <>
          Export all {views(target.viewCount)} of group <Quoted>{target.name}</Quoted> in dataroom <Quoted>{target.dataroomName}</Quoted>.
        </>
      );
  }
}

/**
 * The format picker: one choice per format of the server's registry, with its one-line hint,
 * and each compression the chosen format takes. Changing the format drops a compression the
 * new one does not take.
 */
export function FileFormatPicker({ file, onChange, disabled }: { file: FileChoice; onChange: (file: FileChoice) => void; disabled: boolean }) {
  const { choices } = useExportFormats();
  const name = useId();
  const chosen = choices.find((choice) => choice.id === file.format);
  return (
    <fieldset className="flex flex-col gap-2" disabled={disabled}>
      <legend className="mb-1 text-sm font-medium text-slate-700">Format</legend>
      <div className="grid gap-2 sm:grid-cols-2">
        {choices.map((choice) => (
          <label
            key={choice.id}
            className="flex cursor-pointer items-start gap-2 rounded-md border border-slate-200 px-3 py-2 has-checked:border-indigo-400 has-checked:bg-indigo-50"
          >
            <input
              type="radio"
              name={name}
              value={choice.id}
              checked={file.format === choice.id}
              onChange={() => onChange({ format: choice.id, compression: file.compression && choice.compressions.includes(file.compression) ? file.compression : undefined })}
              className="mt-1"
            />
            <span className="min-w-0">
              <span className="block text-sm font-medium text-slate-900">{choice.label}</span>
              <span className="block text-xs text-slate-600">{choice.hint}</span>
            </span>
          </label>
        ))}
      </div>
      {chosen?.compressions.map((compression) => (
        <label key={compression} className="flex items-center gap-2 text-sm text-slate-700">
          <input
            type="checkbox"
            checked={file.compression === compression}
            onChange={(e) => onChange({ format: file.format, compression: e.target.checked ? compression : undefined })}
          />
          Compress with {compression}
          <span className="text-xs text-slate-500">(a smaller download, to unpack before opening)</span>
        </label>
      ))}
    </fieldset>
  );
}

function Confirm({ teamId, target, requestId, backLabel, onBack, onStarted }: { teamId: string; target: ExportTarget; requestId: string; backLabel: string; onBack: () => void; onStarted: (job: ExportJob, target: ExportTarget) => void }) {
  const start = useStartExport(teamId, onStarted);
  const formats = useExportFormats();
  const [file, setFile] = useState<FileChoice>({ format: formats.defaultId });
  const limits = useExportLimits();
  const once = useSingleFlight();
  const [retryAt, setRetryAt] = useState<number | null>(null);
  const [emailMe, setEmailMe] = useState(false);
  const emailRefusal = useExportKinds()[target.kind].emailRefusal;
  const now = useNow();
  const headingRef = useRef<HTMLHeadingElement>(null);

  useEffect(() => {
    headingRef.current?.focus();
  }, []);

  const limited = start.isError ? retryAfterSeconds(start.error) : null;
  const secondsLeft = retryAt !== null && now !== null ? Math.ceil((retryAt - now) / 1000) : 0;
  const waiting = limited !== null && secondsLeft > 0;

  function onStart() {
    once(() =>
      start.mutateAsync(
        { target, requestId, file, emailMe: emailMe && !emailRefusal },
        {
          onError: (error) => {
            const seconds = retryAfterSeconds(error);
            setRetryAt(seconds ? Date.now() + seconds * 1000 : null);
          },
        },
      ),
    );
  }

  let problem: React.ReactNode = null;
  if (start.isError) {
    if (limited === null) problem = <InlineError>{errorMessage(start.error)}</InlineError>;
    else if (waiting) {
      // Announced once, with the wait as the server gave it; the visible countdown is not a live region, or it would be read every second.
      problem = (
        <>
          <p role="alert" className="sr-only">
            Too many exports were started. You can start another export in {limited} seconds.
          </p>
          <p aria-hidden="true" className="rounded-md border border-red-200 bg-red-50 px-3 py-2 text-sm text-red-800">
            You can start another export in <span className="tabular-nums">{secondsLeft}</span> s.
          </p>
        </>
      );
    }
    else if (limited === 0) problem = <InlineError>{rateLimitMessage(start.error)}</InlineError>;
    else problem = <p role="status" className="text-sm text-slate-700">You can start another export now.</p>;
  }

  return (
    <div className="flex flex-col gap-4">
      <h3 ref={headingRef} tabIndex={-1} data-autofocus className="text-base leading-relaxed text-slate-800 outline-none">
        <TargetSummary target={target} />
      </h3>
      <ul className="list-disc space-y-1 pl-5 text-sm text-slate-600">
        <li>It runs in the background: you can close this dialog or leave the page, and follow it under Exports.</li>
        {target.kind === "metric" ? (
          limits && (
            <>
              <li>Files stop at {formatInteger(limits.maxRows)} rows and are marked Truncated when they do.</li>
              <li>The file is deleted {durationInWords(limits.fileLifetimeSeconds.metric)} after it is ready, so download it promptly.</li>
            </>
          )
        ) : (
          <>
            <li>Time spent on each page comes from the analytics service, so large visit exports take a while.</li>
            {limits && <li>The file is kept for {durationInWords(limits.fileLifetimeSeconds[target.kind])}: its row under Exports says until when.</li>}
          </>
        )}
      </ul>
      <FileFormatPicker file={file} onChange={setFile} disabled={start.isPending} />
      {!emailRefusal && (
        <label className="flex items-center gap-2 text-sm text-slate-700">
          <input type="checkbox" checked={emailMe} onChange={(e) => setEmailMe(e.target.checked)} disabled={start.isPending} className="size-4 rounded border-slate-300" />
          Email me when it is ready, with a link to the file
        </label>
      )}
      {problem}
      <DialogActions>
        <Button onClick={onBack} disabled={start.isPending}>
          {backLabel}
        </Button>
        <Button variant="primary" onClick={onStart} disabled={start.isPending || waiting} aria-busy={start.isPending}>
          {start.isPending && <Spinner />}
          {start.isPending ? "Starting…" : "Start export"}
        </Button>
      </DialogActions>
    </div>
  );
}
