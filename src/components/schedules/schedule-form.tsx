"use client";

import { useMutation, useQueryClient } from "@tanstack/react-query";
import { useId, useMemo, useState } from "react";

import { errorMessage } from "~/components/errors";
import { useExportFormats } from "~/components/exports/export-formats";
import { FileFormatPicker, Picker } from "~/components/exports/new-export-dialog";
import { type ExportTarget, type FileChoice, targetLabel } from "~/components/exports/start-export";
import { formatDateTime } from "~/components/format";
import { Button, Spinner } from "~/components/ui/button";
import { DialogActions } from "~/components/ui/dialog";
import { Field, inputClass } from "~/components/ui/fields";
import { InlineError } from "~/components/ui/states";
import { useSingleFlight } from "~/components/use-single-flight";
import type { KindInput } from "~/server/exports/kinds";
import { nextRuns, timingProblem } from "~/server/schedules/next-run";
import { useTRPC } from "~/trpc/react";

import { cronInWords } from "./cron-words";
import { useDestinationFields } from "./destination-fields";

const presets = [
  { label: "Hourly", cron: "0 * * * *" },
  { label: "Daily at 09:00", cron: "0 9 * * *" },
  { label: "Weekdays at 08:00", cron: "0 8 * * 1-5" },
  { label: "Weekly on Monday at 09:00", cron: "0 9 * * 1" },
];

/** The kind's input alone: the picker's target also carries what its confirmation shows. */
function kindInputOf(target: ExportTarget): KindInput {
  switch (target.kind) {
    case "metric":
      return { kind: "metric", metricId: target.metricId };
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

type FormProps = { teamId: string; onCreated: (signingSecret: string | undefined) => void; onCancel: () => void };

/** A new schedule: what to export, in which format, when, and where to deliver it. */
export function ScheduleForm({ teamId, onCreated, onCancel }: FormProps) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const once = useSingleFlight();
  const [target, setTarget] = useState<ExportTarget | null>(null);
  const [name, setName] = useState("");
  const [cron, setCron] = useState(presets[1]!.cron);
  const [timezone, setTimezone] = useState(browserZone);
  const formats = useExportFormats();
  const [file, setFile] = useState<FileChoice>({ format: formats.defaultId });
  const destination = useDestinationFields();
  const [retentionDays, setRetentionDays] = useState("7");
  const formId = useId();
  const test = useMutation(trpc.schedules.testDestination.mutationOptions());
  const create = useMutation(
    trpc.schedules.create.mutationOptions({
      onSuccess: (schedule) => {
        void queryClient.invalidateQueries(trpc.schedules.list.queryFilter({ teamId }));
        onCreated(schedule.signingSecret);
      },
    }),
  );

  if (!target) {
    return (
      <div className="flex flex-col gap-3">
        <p className="text-sm text-slate-700">What should this schedule export?</p>
        <Picker teamId={teamId} focusKey={null} onPick={(picked) => { setTarget(picked); setName(`${targetLabel(picked)} export`); }} />
        <DialogActions>
          <Button onClick={onCancel}>Cancel</Button>
        </DialogActions>
      </div>
    );
  }

  function onSubmit(event: React.FormEvent) {
    event.preventDefault();
    once(() =>
      create.mutateAsync({
        teamId,
        schedule: {
          name,
          export: kindInputOf(target!),
          ...file,
          cron,
          timezone,
          enabled: true,
          retentionDays: Number(retentionDays),
          destinations: [destination.destination],
        },
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
      <FileFormatPicker file={file} onChange={setFile} disabled={create.isPending} />
      <Field label="Keep files (days)">
        {(props) => <input {...props} type="number" min={1} className={`${inputClass} w-32`} value={retentionDays} onChange={(e) => setRetentionDays(e.target.value)} required />}
      </Field>
      {destination.fields}
      <div className="flex items-center gap-3 text-sm">
        <Button size="sm" onClick={() => test.mutate({ teamId, destination: destination.destination })} disabled={!destination.complete || test.isPending}>
          Test destination
        </Button>
        <span role="status">
          {test.isError && <span className="text-red-700">{errorMessage(test.error)}</span>}
          {test.data && (test.data.delivered ? <span className="text-green-800">It works: the destination took a sample.</span> : <span className="text-red-700">{test.data.reason}</span>)}
        </span>
      </div>
      {create.isError && <InlineError>{errorMessage(create.error)}</InlineError>}
      <DialogActions>
        <Button onClick={onCancel} disabled={create.isPending}>
          Cancel
        </Button>
        <Button type="submit" variant="primary" disabled={create.isPending} aria-busy={create.isPending}>
          {create.isPending && <Spinner />}
          {create.isPending ? "Creating…" : "Create schedule"}
        </Button>
      </DialogActions>
    </form>
  );
}
