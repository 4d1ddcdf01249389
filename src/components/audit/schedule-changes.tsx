"use client";

import { useQuery } from "@tanstack/react-query";
import type { inferRouterOutputs } from "@trpc/server";

import { errorMessage } from "~/components/errors";
import { formatDateTime } from "~/components/format";
import { useTeam } from "~/components/team-context";
import { EmptyState, ErrorState } from "~/components/ui/states";
import type { AppRouter } from "~/server/api/root";
import { useTRPC } from "~/trpc/react";

type ScheduleChangeEvent = inferRouterOutputs<AppRouter>["audit"]["scheduleChanges"][number];

const changeLabels: Record<ScheduleChangeEvent["change"], string> = {
  CREATED: "created",
  UPDATED: "changed",
  PAUSED: "paused",
  RESUMED: "resumed",
  DELETED: "deleted",
  RUN_NOW: "ran now",
  AUTO_PAUSED: "paused itself",
};

function describe(event: ScheduleChangeEvent): string {
  const who = event.user ? (event.user.name ?? event.user.email ?? "Someone") : "The schedule";
  const what = event.user ? `${changeLabels[event.change]} “${event.scheduleName}”` : `“${event.scheduleName}” ${changeLabels[event.change]}`;
  const fields = event.change === "UPDATED" && event.fields.length > 0 ? `: ${event.fields.join(", ")}` : "";
  return `${who} ${what}${fields}`;
}

/** The latest changes to the team's schedules; the runs themselves are exports, listed above. */
export function ScheduleChanges() {
  const { teamId } = useTeam();
  const trpc = useTRPC();
  const changes = useQuery(trpc.audit.scheduleChanges.queryOptions({ teamId, limit: 50 }));
  let body: React.ReactNode;
  if (changes.isPending) body = <p className="text-sm text-slate-500">Loading…</p>;
  else if (changes.isError) body = <ErrorState title="Could not load the schedule changes" message={errorMessage(changes.error)} onRetry={() => void changes.refetch()} retrying={changes.isFetching} />;
  else if (changes.data.length === 0) body = <EmptyState title="No schedule changes yet" />;
  else
    body = (
      <ul aria-label="Schedule changes, newest first" className="divide-y divide-slate-100 rounded-lg border border-slate-200 bg-white shadow-sm">
        {changes.data.map((event) => (
          <li key={event.id} className="flex flex-col gap-0.5 px-4 py-2 text-sm sm:flex-row sm:justify-between">
            <span>
              {describe(event)}
              {event.reason && <span className="block text-slate-500">{event.reason}</span>}
            </span>
            <time dateTime={event.createdAt.toISOString()} className="text-slate-500">
              {formatDateTime(event.createdAt)}
            </time>
          </li>
        ))}
      </ul>
    );
  return (
    <section aria-labelledby="schedule-changes-heading" className="mt-10">
      <h2 id="schedule-changes-heading" className="mb-3 text-lg font-semibold text-slate-900">
        Schedule changes
      </h2>
      {body}
    </section>
  );
}
