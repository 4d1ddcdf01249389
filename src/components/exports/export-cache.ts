"use client";

import { replaceEqualDeep, useQueryClient } from "@tanstack/react-query";
import { useMemo } from "react";

import type { ExportJob } from "~/server/exports/job/export-job";
import { useTRPC } from "~/trpc/react";

/**
 * The exports.list cache is the one place the UI reads jobs from. Three writers feed it: the
 * list query (and its 3 s poll), the team's progress stream, and the answers of
 * start/retry/cancel. Whichever saw the job last by its updatedAt wins, so a poll that left
 * the server before a progress event arrived cannot move a bar backwards.
 */
export type ExportList = { items: ExportJob[]; total: number; nextOffset: number | null };

export const PAGE_SIZE = 20;

function isStrictlyNewer(a: ExportJob, b: ExportJob): boolean {
  // ISO 8601 UTC strings from one clock compare correctly as strings.
  return a.updatedAt > b.updatedAt;
}

export function withJob(list: ExportList, job: ExportJob): ExportList {
  const index = list.items.findIndex((j) => j.id === job.id);
  if (index === -1) return list;
  const current = list.items[index]!;
  if (isStrictlyNewer(current, job)) return list;
  const items = list.items.slice();
  items[index] = job;
  return { ...list, items };
}

export function withNewJob(list: ExportList, job: ExportJob, pageSize = PAGE_SIZE): ExportList {
  if (list.items.some((j) => j.id === job.id)) return withJob(list, job);
  return { ...list, items: [job, ...list.items].slice(0, pageSize), total: list.total + 1 };
}

/**
 * A job the team's stream carries, for the first page: a job newer than the page's newest was
 * started elsewhere (by a teammate, a token or a schedule) and goes on top; an older one the
 * page does not hold belongs on a later page.
 */
export function withArrivedJob(list: ExportList, job: ExportJob, pageSize = PAGE_SIZE): ExportList {
  const newest = list.items[0];
  if (list.items.some((j) => j.id === job.id) || (newest && job.createdAt < newest.createdAt)) return withJob(list, job);
  return withNewJob(list, job, pageSize);
}

export function withoutJob(list: ExportList, id: string): ExportList {
  if (!list.items.some((j) => j.id === id)) return list;
  return { ...list, items: list.items.filter((j) => j.id !== id), total: Math.max(0, list.total - 1) };
}

/** For the list query's structuralSharing: server truth, except where the cache already holds a newer copy of a job. */
export function preferNewerJobs(previous: unknown, next: unknown): unknown {
  const old = previous as ExportList | undefined;
  const fresh = next as ExportList;
  if (!old?.items || !fresh?.items) return next;
  const known = new Map(old.items.map((j) => [j.id, j]));
  const merged: ExportList = {
    ...fresh,
    items: fresh.items.map((job) => {
      const cached = known.get(job.id);
      return cached && isStrictlyNewer(cached, job) ? cached : job;
    }),
  };
  return replaceEqualDeep(old, merged);
}

export function useExportCache(teamId: string) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  return useMemo(() => {
    const all = () => trpc.exports.list.queryFilter({ teamId });
    return {
      /** A newer copy of a job that may be on any cached page. */
      update(job: ExportJob) {
        queryClient.setQueriesData<ExportList>(all(), (list) => (list ? withJob(list, job) : list));
      },
      /** A change from the team's stream: a newer copy of a cached job, or a new job on top of the first page. */
      arrived(job: ExportJob) {
        queryClient.setQueriesData<ExportList>(all(), (list) => (list ? withJob(list, job) : list));
        queryClient.setQueriesData<ExportList>(trpc.exports.list.queryFilter({ teamId, offset: 0 }), (list) => (list ? withArrivedJob(list, job) : list));
      },
      /** A job that has just been created: it belongs at the top of the first page. */
      insert(job: ExportJob) {
        queryClient.setQueriesData<ExportList>(trpc.exports.list.queryFilter({ teamId, offset: 0 }), (list) => (list ? withNewJob(list, job) : list));
        void queryClient.invalidateQueries(all());
      },
      remove(id: string) {
        queryClient.setQueriesData<ExportList>(all(), (list) => (list ? withoutJob(list, id) : list));
        void queryClient.invalidateQueries(all());
      },
      refresh() {
        return queryClient.invalidateQueries(all());
      },
    };
  }, [trpc, queryClient, teamId]);
}
