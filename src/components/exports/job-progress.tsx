"use client";

import { useState } from "react";

import { useExportKinds } from "~/components/exports/export-kinds";
import { formatBytes, formatDuration, formatInteger } from "~/components/format";
import type { ExportJob } from "~/server/exports/job/export-job";

/**
 * A running job's progress, as the exports.list cache holds it (fed by the team stream, see
 * team-progress.ts). `interrupted`: the live stream is down and the list's poll stands in.
 */
export function JobProgress({ job, interrupted }: { job: ExportJob; interrupted: boolean }) {
  return <ProgressView job={job} interrupted={interrupted} />;
}

type Sample = { t: number; rows: number };
type RateTrack = { key: string; phase: string; samples: Sample[] };

const RATE_WINDOW_MS = 20_000;

/**
 * Rows per millisecond over the last few progress updates of the current phase, timed by the
 * server's updatedAt so network jitter does not skew it. Null until two updates a second or
 * more apart show movement: an ETA from one point would be a guess.
 */
function useRowRate(job: ExportJob): number | null {
  const progress = job.progress;
  const key = progress ? `${progress.phase}|${progress.rows}|${job.updatedAt}` : "";
  const [track, setTrack] = useState<RateTrack>({ key: "", phase: "", samples: [] });

  if (progress && track.key !== key) {
    const sample = { t: Date.parse(job.updatedAt), rows: progress.rows };
    // A new phase counts from zero again (fetching durations, then writing), so its history is not comparable.
    const kept = track.phase === progress.phase ? track.samples.filter((s) => sample.t - s.t <= RATE_WINDOW_MS && s.t < sample.t) : [];
    setTrack({ key, phase: progress.phase, samples: [...kept.slice(-11), sample] });
  }

  const first = track.samples[0];
  const last = track.samples[track.samples.length - 1];
  if (!first || !last || last.t - first.t < 1000 || last.rows <= first.rows) return null;
  return (last.rows - first.rows) / (last.t - first.t);
}

function ProgressView({ job, interrupted }: { job: ExportJob; interrupted: boolean }) {
  const rate = useRowRate(job);
  const progress = job.progress;
  const unit = useExportKinds()[job.type].unit;
  const total = progress?.totalRows;
  const determinate = progress !== undefined && total !== undefined && total > 0;
  const fraction = determinate ? Math.min(1, progress.rows / total) : 0;

  let counts = job.status === "PENDING" ? "Waiting to start…" : "Starting…";
  if (progress) {
    const rows = formatInteger(progress.rows);
    if (determinate) counts = `${rows} / ${formatInteger(total)} ${unit.many}`;
    else if (progress.rows === 0) counts = `No ${unit.many} yet`;
    else counts = `${rows} ${progress.rows === 1 ? unit.one : unit.many}`;
    if (progress.bytes > 0) counts += ` · ${formatBytes(progress.bytes)}`;
  }

  let pace = "";
  if (rate !== null && progress) {
    pace = determinate
      ? `about ${formatDuration(Math.max(0, total - progress.rows) / rate)} left`
      : `${formatInteger(rate * 1000)} ${unit.many}/s`;
  }

  return (
    <div className="flex h-full flex-col justify-center gap-1.5">
      <ProgressBar determinate={determinate} fraction={fraction} pending={job.status === "PENDING"} label={`Progress of ${job.resourceName ?? "export"}`} />
      <p className="truncate text-xs text-slate-700 tabular-nums">{counts}</p>
      <p className="flex gap-1.5 truncate text-xs text-slate-500 tabular-nums">
        {progress && <span className="first-letter:uppercase">{progress.phase}</span>}
        {progress && (pace || interrupted) && <span aria-hidden="true">·</span>}
        {/* While the stream is down the 3 s poll still moves the numbers; say so rather than pretend it is live. */}
        {interrupted ? <span title="The live connection dropped; the list refreshes every 3 seconds meanwhile">reconnecting…</span> : pace && <span>{pace}</span>}
      </p>
    </div>
  );
}

// The 40% sweep never leaves the track entirely, so a glance (or a screenshot) never reads it as 0%.
const indeterminateKeyframes = `@keyframes export-progress-slide{0%{transform:translateX(-60%)}100%{transform:translateX(200%)}}`;

function ProgressBar({ determinate, fraction, pending, label }: { determinate: boolean; fraction: number; pending: boolean; label: string }) {
  const colour = pending ? "bg-slate-400" : "bg-blue-600";
  return (
    <div
      role="progressbar"
      aria-label={label}
      aria-valuemin={determinate ? 0 : undefined}
      aria-valuemax={determinate ? 100 : undefined}
      aria-valuenow={determinate ? Math.round(fraction * 100) : undefined}
      className="relative h-1.5 w-full overflow-hidden rounded-full bg-slate-200"
    >
      {determinate ? (
        <div className={`h-full rounded-full ${colour} transition-[width] duration-500 ease-out`} style={{ width: `${fraction * 100}%` }} />
      ) : (
        <>
          {/* React hoists and dedupes this by href, so twenty bars share one rule; globals.css is not this module's to edit. */}
          <style href="export-progress-slide" precedence="default">
            {indeterminateKeyframes}
          </style>
          <div
            className={`absolute inset-y-0 left-0 w-2/5 rounded-full ${colour} [animation:export-progress-slide_1.4s_ease-in-out_infinite] motion-reduce:w-full motion-reduce:opacity-40 motion-reduce:[animation:none]`}
          />
        </>
      )}
    </div>
  );
}
