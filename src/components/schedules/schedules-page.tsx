"use client";

import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";

import { errorMessage } from "~/components/errors";
import { formatBytes, formatDateTime, formatInteger } from "~/components/format";
import { isTeamAdmin, useTeam } from "~/components/team-context";
import { Badge, type BadgeTone } from "~/components/ui/badge";
import { Button } from "~/components/ui/button";
import { Dialog, DialogActions } from "~/components/ui/dialog";
import { EmptyState, ErrorState, InlineError, PageHeader, Skeleton } from "~/components/ui/states";
import { useSingleFlight } from "~/components/use-single-flight";
import { scheduleChangeRefusal } from "~/server/teams/permissions";
import { useTRPC } from "~/trpc/react";

import { cronInWords } from "./cron-words";
import { EditScheduleForm, type Schedule, ScheduleForm } from "./schedule-form";

const runTones: Record<string, BadgeTone> = { RUNNING: "active", COMPLETED: "success", FAILED: "danger" };
const runWords: Record<string, string> = { RUNNING: "Running", COMPLETED: "Completed", FAILED: "Failed" };

export function SchedulesPage() {
  const { teamId, role } = useTeam();
  const trpc = useTRPC();
  const schedules = useQuery(trpc.schedules.list.queryOptions({ teamId }, { refetchInterval: 10_000 }));
  const [creating, setCreating] = useState(false);
  const [editing, setEditing] = useState<Schedule | null>(null);
  const [secret, setSecret] = useState<string | null>(null);
  const manages = isTeamAdmin(role);

  let body: React.ReactNode;
  if (schedules.isPending) body = <Skeleton className="h-24 w-full" />;
  else if (schedules.isError) body = <ErrorState title="Could not load schedules" message={errorMessage(schedules.error)} onRetry={() => void schedules.refetch()} retrying={schedules.isFetching} />;
  else if (schedules.data.length === 0) body = <EmptyState title="No schedules yet">{manages ? "Create one to export on a cron and deliver every run by email, to Slack, a webhook or your own bucket." : "The team's owners and admins create schedules; they appear here."}</EmptyState>;
  else {
    body = (
      <ul aria-label="Schedules" className="flex flex-col gap-3">
        {schedules.data.map((schedule) => (
          <ScheduleRow key={schedule.id} teamId={teamId} schedule={schedule} onEdit={() => setEditing(schedule)} />
        ))}
      </ul>
    );
  }

  return (
    <section aria-labelledby="schedules-heading">
      <PageHeader
        id="schedules-heading"
        title="Schedules"
        description="Exports that run on a cron, in their owner's name, delivered by email, to Slack, a webhook or your own bucket."
        action={manages ? <Button variant="primary" onClick={() => setCreating(true)}>New schedule</Button> : undefined}
      />
      {body}
      <Dialog open={creating} onClose={() => setCreating(false)} title="New schedule" size="lg">
        <ScheduleForm
          teamId={teamId}
          onCancel={() => setCreating(false)}
          onSaved={(signingSecret) => {
            setCreating(false);
            if (signingSecret) setSecret(signingSecret);
          }}
        />
      </Dialog>
      <Dialog open={editing !== null} onClose={() => setEditing(null)} title="Edit schedule" size="lg">
        {editing && (
          <EditScheduleForm
            teamId={teamId}
            schedule={editing}
            onCancel={() => setEditing(null)}
            onSaved={(signingSecret) => {
              setEditing(null);
              if (signingSecret) setSecret(signingSecret);
            }}
          />
        )}
      </Dialog>
      <Dialog open={secret !== null} onClose={() => setSecret(null)} title="Copy the webhook's signing secret" size="md" dismissOnBackdrop={false}>
        <p className="text-sm text-slate-700">Each delivery carries <code className="font-mono text-xs">X-Export-Center-Signature: sha256=…</code>, the HMAC-SHA256 of its body under this secret. It is shown only now.</p>
        <p className="mt-3 rounded-md bg-slate-100 p-3 font-mono text-xs break-all" data-testid="signing-secret">{secret}</p>
        <DialogActions>
          <Button variant="primary" onClick={() => setSecret(null)}>Done</Button>
        </DialogActions>
      </Dialog>
    </section>
  );
}

function ScheduleRow({ teamId, schedule, onEdit }: { teamId: string; schedule: Schedule; onEdit: () => void }) {
  const { role } = useTeam();
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const once = useSingleFlight();
  const [history, setHistory] = useState(false);
  const refresh = () => {
    void queryClient.invalidateQueries(trpc.schedules.list.queryFilter({ teamId }));
    void queryClient.invalidateQueries(trpc.schedules.runs.queryFilter());
  };
  const runNow = useMutation(trpc.schedules.runNow.mutationOptions({ onSuccess: () => { setHistory(true); refresh(); } }));
  const update = useMutation(trpc.schedules.update.mutationOptions({ onSuccess: refresh }));
  const remove = useMutation(trpc.schedules.delete.mutationOptions({ onSuccess: refresh }));
  const canManage = scheduleChangeRefusal({ role }, "manage") === null;
  const canRun = scheduleChangeRefusal({ role }, "run") === null;
  const paused = schedule.pausedAt !== null;
  const active = schedule.enabled && !paused;
  const failure = runNow.error ?? update.error ?? remove.error;

  return (
    <li className="rounded-lg border border-slate-200 bg-white p-4 shadow-sm">
      <div className="flex flex-col gap-3 sm:flex-row sm:items-start sm:justify-between">
        <div className="min-w-0">
          <h2 className="truncate font-medium text-slate-900">{schedule.name}</h2>
          <p className="text-sm text-slate-600">
            {cronInWords(schedule.cron) ?? <code className="font-mono">{schedule.cron}</code>}, {schedule.timezone} · {schedule.destinations.map((d) => d.type).join(", ")}
          </p>
          <p className="mt-1 flex flex-wrap items-center gap-2 text-sm text-slate-600">
            {paused ? <Badge tone="warning">Paused</Badge> : !schedule.enabled ? <Badge tone="neutral">Off</Badge> : null}
            {schedule.lastRun && <Badge tone={runTones[schedule.lastRun.status] ?? "neutral"}>Last run {runWords[schedule.lastRun.status]?.toLowerCase()}</Badge>}
            <span>Next run: {schedule.nextRunAt ? formatDateTime(schedule.nextRunAt) : "none"}</span>
          </p>
          {paused && schedule.pauseReason && <p className="mt-1 text-sm text-amber-900">{schedule.pauseReason}</p>}
        </div>
        <div className="flex shrink-0 flex-wrap gap-2">
          {canRun && <Button size="sm" onClick={() => once(() => runNow.mutateAsync({ teamId, scheduleId: schedule.id }))} disabled={runNow.isPending}>Run now</Button>}
          {canManage && (
            <Button
              size="sm"
              onClick={() => once(() => update.mutateAsync({ teamId, scheduleId: schedule.id, changes: active ? { enabled: false } : { enabled: true, ...(paused ? { paused: false as const } : {}) } }))}
              disabled={update.isPending}
            >
              {active ? "Pause" : "Resume"}
            </Button>
          )}
          {canManage && <Button size="sm" onClick={onEdit}>Edit</Button>}
          <Button size="sm" aria-expanded={history} onClick={() => setHistory((h) => !h)}>History</Button>
          {canManage && <Button size="sm" variant="subtle-danger" onClick={() => once(() => remove.mutateAsync({ teamId, scheduleId: schedule.id }))} disabled={remove.isPending}>Delete</Button>}
        </div>
      </div>
      {failure && <InlineError className="mt-3">{errorMessage(failure)}</InlineError>}
      {history && <RunHistory teamId={teamId} scheduleId={schedule.id} />}
    </li>
  );
}

function RunHistory({ teamId, scheduleId }: { teamId: string; scheduleId: string }) {
  const trpc = useTRPC();
  const runs = useQuery(trpc.schedules.runs.queryOptions({ teamId, scheduleId, limit: 20, offset: 0 }, { refetchInterval: 5_000 }));
  if (runs.isPending) return <Skeleton className="mt-3 h-10 w-full" />;
  if (runs.isError) return <InlineError className="mt-3">{errorMessage(runs.error)}</InlineError>;
  if (runs.data.runs.length === 0) return <p className="mt-3 text-sm text-slate-600">No runs yet.</p>;
  return (
    <ol aria-label="Run history" className="mt-3 divide-y divide-slate-100 border-t border-slate-100 text-sm">
      {runs.data.runs.map((run) => (
        <li key={run.id} className="flex flex-wrap items-center gap-x-4 gap-y-1 py-2">
          <Badge tone={runTones[run.status] ?? "neutral"}>{runWords[run.status]}</Badge>
          <span className="tabular-nums">{formatDateTime(run.startedAt)}</span>
          {run.rows !== null && <span>{formatInteger(run.rows)} rows{run.truncated ? " (truncated)" : ""}</span>}
          {run.bytes !== null && <span>{formatBytes(run.bytes)}</span>}
          {run.delivery && <span>{run.delivery}</span>}
          {run.error && <span className="text-red-700">{run.error}</span>}
          {run.status === "COMPLETED" && run.exportId && (
            <a className="text-indigo-700 underline" href={`/api/teams/${teamId}/export-jobs/${run.exportId}?download=true`}>
              Download
            </a>
          )}
          {run.deliveries.filter((d) => d.status === "FAILED").map((d) => (
            <span key={d.destinationIndex} className="text-amber-900">
              {d.destination}: {d.reason}
            </span>
          ))}
        </li>
      ))}
    </ol>
  );
}
