"use client";

import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import type { inferRouterOutputs } from "@trpc/server";
import { useId, useMemo, useState } from "react";

import { errorMessage } from "~/components/errors";
import { useExportFormats } from "~/components/exports/export-formats";
import { FileFormatPicker, Picker } from "~/components/exports/new-export-dialog";
import { type ExportTarget, type FileChoice, targetLabel } from "~/components/exports/start-export";
import { formatDateTime } from "~/components/format";
import { Button, Spinner } from "~/components/ui/button";
import { DialogActions } from "~/components/ui/dialog";
import { Field, inputClass } from "~/components/ui/fields";
import { ErrorState, InlineError, Skeleton } from "~/components/ui/states";
import { useSingleFlight } from "~/components/use-single-flight";
import type { AppRouter } from "~/server/api/root";
import type { JsonObject } from "~/server/exports/kinds";
import { nextRuns, timingProblem } from "~/server/schedules/next-run";
import type { ScheduleExport, UpdateScheduleInput } from "~/server/schedules/schedule-input";
import { useTRPC } from "~/trpc/react";

import { cronInWords } from "./cron-words";
import { type DestinationEntry, DestinationList, type DestinationView, destinationChanges, destinationInputs, keepsAll, keptDestinations, newDestination } from "./destination-fields";

const presets = [
  { label: "Hourly", cron: "0 * * * *" },
  { label: "Daily at 09:00", cron: "0 9 * * *" },
  { label: "Weekdays at 08:00", cron: "0 8 * * 1-5" },
  { label: "Weekly on Monday at 09:00", cron: "0 9 * * 1" },
];

export type Schedule = inferRouterOutputs<AppRouter>["schedules"]["list"][number];

/** The kind's input alone (the picker's target also carries what its confirmation shows), with a metric's pinned version. */
function exportOf(target: ExportTarget, metricVersion: number | null): ScheduleExport {
  switch (target.kind) {
    case "metric":
      return { kind: "metric", metricId: target.metricId, ...(metricVersion !== null && { metricVersion }) };
    case "document":
      return { kind: "document", documentId: target.documentId };
    case "dataroom":
      return { kind: "dataroom", dataroomId: target.dataroomId };
    case "dataroom-group":
      return { kind: "dataroom-group", dataroomId: target.dataroomId, groupId: target.groupId };
  }
}

function browserZone(): string {
  return Intl.DateTimeFormat().resolvedOptions().timeZone || "UTC";
}

/** The cron in words and its next three runs in the zone, or why it cannot be used. */
function CronPreview({ cron, timezone }: { cron: string; timezone: string }) {
  const preview = useMemo(() => {
    // The server applies the deployment's minimum interval; here, only what makes no schedule at all.
    const problem = timingProblem(cron, timezone, 0);
    if (problem) return { problem: problem.message };
    return { words: cronInWords(cron), runs: nextRuns(cron, timezone, new Date(), 3) };
  }, [cron, timezone]);
  if ("problem" in preview) return <p className="text-xs text-red-700">{preview.problem}</p>;
  const zoned = (run: Date) => new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeStyle: "short", timeZone: timezone }).format(run);
  return (
    <div className="text-xs text-slate-600" aria-live="polite">
      <p className="font-medium text-slate-800">{preview.words ?? `Runs on "${cron}"`}, {timezone} time.</p>
      <p>
        Next runs: {preview.runs.map((run) => zoned(run)).join(" · ")} <span className="text-slate-500">(yours: {formatDateTime(preview.runs[0]!)})</span>
      </p>
    </div>
  );
}

/** Whether two exports name the same thing: flat objects, compared whatever the order of their keys, a null version as none. */
function sameExport(a: JsonObject, b: JsonObject): boolean {
  const canonical = (o: JsonObject) => JSON.stringify(Object.entries(o).filter(([, v]) => v !== null && v !== undefined).sort(([x], [y]) => x.localeCompare(y)));
  return canonical(a) === canonical(b);
}

/** "Latest at each run", or one of the metric's versions: the metrics page's list of them. */
function MetricVersionField({ teamId, metricId, value, onChange, disabled }: { teamId: string; metricId: string; value: number | null; onChange: (version: number | null) => void; disabled: boolean }) {
  const trpc = useTRPC();
  const versions = useQuery(trpc.metrics.versions.queryOptions({ teamId, metricId }));
  return (
    <Field label="Version" hint={versions.isError ? `Could not load the versions: ${errorMessage(versions.error)}` : "A pinned version is exported on every run, even after the metric changes."}>
      {(props) => (
        <select {...props} className={inputClass} value={value ?? ""} onChange={(e) => onChange(e.target.value === "" ? null : Number(e.target.value))} disabled={disabled || versions.isPending}>
          <option value="">Latest at each run</option>
          {/* A pinned version stays listed while the versions load, so the field never shows the wrong one. */}
          {value !== null && !versions.data?.some((v) => v.number === value) && <option value={value}>Version {value}</option>}
          {versions.data?.map((v) => (
            <option key={v.number} value={v.number}>
              Version {v.number} · {formatDateTime(v.createdAt)}
            </option>
          ))}
        </select>
      )}
    </Field>
  );
}

type FormProps = {
  teamId: string;
  /** The schedule to edit; none for a new one. */
  schedule?: Schedule;
  /** The schedule's export as the picker names it, when editing and the resource is still there. */
  initialTarget?: ExportTarget | null;
  onSaved: (signingSecret: string | undefined) => void;
  onCancel: () => void;
};

/** A schedule, new or edited: what to export, in which format, when, and where to deliver it. */
export function ScheduleForm({ teamId, schedule, initialTarget = null, onSaved, onCancel }: FormProps) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const once = useSingleFlight();
  const formats = useExportFormats();
  const [target, setTarget] = useState<ExportTarget | null>(initialTarget);
  const [metricVersion, setMetricVersion] = useState<number | null>(() => (schedule && typeof schedule.export.metricVersion === "number" ? schedule.export.metricVersion : null));
  const [name, setName] = useState(schedule?.name ?? "");
  const [cron, setCron] = useState(schedule?.cron ?? presets[1]!.cron);
  const [timezone, setTimezone] = useState(schedule?.timezone ?? browserZone);
  const [file, setFile] = useState<FileChoice>(() =>
    schedule ? ({ format: schedule.format, ...(schedule.compression && { compression: schedule.compression }) } as FileChoice) : { format: formats.defaultId },
  );
  const [destinations, setDestinations] = useState<DestinationEntry[]>(() => (schedule ? keptDestinations(schedule.destinations as DestinationView[]) : [newDestination()]));
  const [retentionDays, setRetentionDays] = useState(String(schedule?.retentionDays ?? 7));
  const formId = useId();
  const saved = {
    onSuccess: (answer: { signingSecret?: string }) => {
      void queryClient.invalidateQueries(trpc.schedules.list.queryFilter({ teamId }));
      onSaved(answer.signingSecret);
    },
  };
  const create = useMutation(trpc.schedules.create.mutationOptions(saved));
  const update = useMutation(trpc.schedules.update.mutationOptions(saved));
  const save = schedule ? update : create;

  if (!target) {
    return (
      <div className="flex flex-col gap-3">
        <p className="text-sm text-slate-700">{schedule ? "The schedule's resource is gone. What should it export now?" : "What should this schedule export?"}</p>
        <Picker
          teamId={teamId}
          focusKey={null}
          onPick={(picked) => {
            setTarget(picked);
            setMetricVersion(null);
            if (!schedule) setName(`${targetLabel(picked)} export`);
          }}
        />
        <DialogActions>
          <Button onClick={onCancel}>Cancel</Button>
        </DialogActions>
      </div>
    );
  }

  /** PATCH semantics: only what differs from the schedule. */
  function changesTo(current: Schedule): UpdateScheduleInput {
    const exported = exportOf(target!, metricVersion);
    const fileChanged = file.format !== current.format || (file.compression ?? null) !== current.compression;
    return {
      ...(name !== current.name && { name }),
      ...(!sameExport(exported as JsonObject, current.export) && { export: exported }),
      // A change that names the format sets the compression too, so that removing it is a change.
      ...(fileChanged && { format: file.format, compression: file.compression }),
      ...(cron !== current.cron && { cron }),
      ...(timezone !== current.timezone && { timezone }),
      ...(Number(retentionDays) !== current.retentionDays && { retentionDays: Number(retentionDays) }),
      ...(!keepsAll(destinations, current.destinations.length) && { destinations: destinationChanges(destinations) }),
    };
  }

  function onSubmit(event: React.FormEvent) {
    event.preventDefault();
    if (schedule) {
      const changes = changesTo(schedule);
      if (Object.keys(changes).length === 0) return onSaved(undefined);
      once(() => update.mutateAsync({ teamId, scheduleId: schedule.id, changes }));
      return;
    }
    once(() =>
      create.mutateAsync({
        teamId,
        schedule: { name, export: exportOf(target!, metricVersion), ...file, cron, timezone, enabled: true, retentionDays: Number(retentionDays), destinations: destinationInputs(destinations) },
      }),
    );
  }

  return (
    <form id={formId} onSubmit={onSubmit} className="flex flex-col gap-4">
      <p className="text-sm text-slate-700">
        Exports <strong className="font-semibold">{targetLabel(target)}</strong>.{" "}
        <button type="button" className="text-indigo-700 underline" onClick={() => setTarget(null)}>
          Change
        </button>
      </p>
      {target.kind === "metric" && <MetricVersionField teamId={teamId} metricId={target.metricId} value={metricVersion} onChange={setMetricVersion} disabled={save.isPending} />}
      <Field label="Name">{(props) => <input {...props} className={inputClass} value={name} onChange={(e) => setName(e.target.value)} required maxLength={200} />}</Field>
      <div className="flex flex-wrap gap-2" role="group" aria-label="Presets">
        {presets.map((preset) => (
          <Button key={preset.cron} size="sm" aria-pressed={cron === preset.cron} onClick={() => setCron(preset.cron)}>
            {preset.label}
          </Button>
        ))}
      </div>
      <div className="grid gap-4 sm:grid-cols-2">
        <Field label="Cron" hint="minute hour day-of-month month day-of-week">
          {(props) => <input {...props} className={`${inputClass} font-mono`} value={cron} onChange={(e) => setCron(e.target.value)} required spellCheck={false} />}
        </Field>
        <Field label="Time zone" hint="An IANA zone, e.g. Europe/Paris">
          {(props) => <input {...props} className={inputClass} value={timezone} onChange={(e) => setTimezone(e.target.value)} required />}
        </Field>
      </div>
      <CronPreview cron={cron} timezone={timezone} />
      <FileFormatPicker file={file} onChange={setFile} disabled={save.isPending} />
      <Field label="Keep files (days)">
        {(props) => <input {...props} type="number" min={1} className={`${inputClass} w-32`} value={retentionDays} onChange={(e) => setRetentionDays(e.target.value)} required />}
      </Field>
      <DestinationList teamId={teamId} scheduleId={schedule?.id} entries={destinations} onChange={setDestinations} disabled={save.isPending} />
      {save.isError && <InlineError>{errorMessage(save.error)}</InlineError>}
      <DialogActions>
        <Button onClick={onCancel} disabled={save.isPending}>
          Cancel
        </Button>
        <Button type="submit" variant="primary" disabled={save.isPending} aria-busy={save.isPending}>
          {save.isPending && <Spinner />}
          {schedule ? (save.isPending ? "Saving…" : "Save changes") : save.isPending ? "Creating…" : "Create schedule"}
        </Button>
      </DialogActions>
    </form>
  );
}

/** The picker's target for the schedule's stored export, found in the lists the picker reads; null when the resource is gone. */
function useStoredTarget(teamId: string, stored: JsonObject) {
  const trpc = useTRPC();
  const metrics = useQuery(trpc.metrics.list.queryOptions({ teamId }, { enabled: stored.kind === "metric" }));
  const resources = useQuery(trpc.visits.resources.queryOptions({ teamId }, { enabled: stored.kind !== "metric" }));
  const query = stored.kind === "metric" ? metrics : resources;
  if (query.isPending || query.isError) return { query, target: null };
  const room = resources.data?.datarooms.find((r) => r.id === stored.dataroomId);
  let target: ExportTarget | null = null;
  switch (stored.kind) {
    case "metric": {
      const m = metrics.data?.find((metric) => metric.id === stored.metricId);
      if (m) target = { kind: "metric", metricId: m.id, name: m.name, dataSource: { name: m.dataSource.name, type: m.dataSource.type } };
      break;
    }
    case "document": {
      const d = resources.data?.documents.find((doc) => doc.id === stored.documentId);
      if (d) target = { kind: "document", documentId: d.id, name: d.name, viewCount: d.viewCount };
      break;
    }
    case "dataroom":
      if (room) target = { kind: "dataroom", dataroomId: room.id, name: room.name, viewCount: room.viewCount };
      break;
    case "dataroom-group": {
      const g = room?.groups.find((group) => group.id === stored.groupId);
      if (room && g) target = { kind: "dataroom-group", dataroomId: room.id, groupId: g.id, name: g.name, dataroomName: room.name, viewCount: g.viewCount };
      break;
    }
  }
  return { query, target };
}

/** The form, prefilled from the schedule once its export's resource is found. */
export function EditScheduleForm({ teamId, schedule, onSaved, onCancel }: { teamId: string; schedule: Schedule; onSaved: FormProps["onSaved"]; onCancel: () => void }) {
  const { query, target } = useStoredTarget(teamId, schedule.export);
  if (query.isPending) return <Skeleton className="h-64 w-full" />;
  if (query.isError) return <ErrorState title="Could not load the schedule's export" message={errorMessage(query.error)} onRetry={() => void query.refetch()} retrying={query.isFetching} />;
  return <ScheduleForm teamId={teamId} schedule={schedule} initialTarget={target} onSaved={onSaved} onCancel={onCancel} />;
}
