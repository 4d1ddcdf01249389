/**
 * What the API shows of a schedule and of its runs: never a secret (the signing secret and
 * any sealed credentials stay in the database), and each destination as its type shows it.
 */
import type { Prisma } from "~/generated/prisma/client";
import type { JsonObject } from "~/server/exports/kinds";

import { destinationOf } from "./destinations";

export const scheduleSelect = {
  id: true,
  teamId: true,
  ownerId: true,
  name: true,
  exportKind: true,
  exportInput: true,
  metricVersion: true,
  format: true,
  compression: true,
  cron: true,
  timezone: true,
  enabled: true,
  retentionDays: true,
  destinations: true,
  nextRunAt: true,
  consecutiveFailures: true,
  pausedAt: true,
  pauseReason: true,
  createdAt: true,
  updatedAt: true,
  runs: { orderBy: { startedAt: "desc" }, take: 1, select: { status: true, startedAt: true } },
} satisfies Prisma.ScheduleSelect;

type ScheduleRow = Prisma.ScheduleGetPayload<{ select: typeof scheduleSelect }>;

/** A destination as it is stored: its type and its settings. */
export type StoredDestination = { type: string; settings: JsonObject };

export function storedDestinations(value: Prisma.JsonValue): StoredDestination[] {
  return value as StoredDestination[];
}

export function scheduleView(row: ScheduleRow) {
  const { runs, destinations, exportKind, exportInput, metricVersion, ...rest } = row;
  return {
    ...rest,
    // A metric's export says which version each run exports: a number, or null for the latest.
    export: exportKind === "metric" ? { ...(exportInput as JsonObject), metricVersion } : (exportInput as JsonObject),
    destinations: storedDestinations(destinations).map(({ type, settings }) => ({ type, ...destinationOf(type)?.view(settings) })),
    lastRun: runs[0] ?? null,
  };
}

export const runSelect = {
  id: true,
  dueAt: true,
  startedAt: true,
  exportId: true,
  status: true,
  rows: true,
  bytes: true,
  truncated: true,
  error: true,
  finishedAt: true,
  deliveries: { orderBy: { destinationIndex: "asc" }, select: { destinationIndex: true, destination: true, status: true, reason: true, tries: true } },
} satisfies Prisma.ScheduleRunSelect;

type RunRow = Prisma.ScheduleRunGetPayload<{ select: typeof runSelect }>;

/** A run with its figures, its deliveries, and how many of them delivered ("delivered to 2 of 3"). */
export function runView(row: RunRow) {
  const delivered = row.deliveries.filter((d) => d.status === "DELIVERED").length;
  return {
    ...row,
    bytes: row.bytes === null ? null : Number(row.bytes),
    delivery: row.deliveries.length === 0 ? null : `delivered to ${delivered} of ${row.deliveries.length}`,
  };
}
