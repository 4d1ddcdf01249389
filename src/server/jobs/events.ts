/**
 * The events that drive exports, typed once here and shared by the queue (export-queue.ts)
 * and the functions (functions/). Names follow `scope/noun.verb`. The request events' data is
 * read from the kinds' definitions: the metric's field is its kind's input, and the visit
 * event's `kind` lists the kinds of the visit run.
 */
import { eventType } from "inngest";
import { z } from "zod";

import { AppError } from "~/server/errors";
import type { RunRequest } from "~/server/exports/export-queue";
import { type CompressionId, compressionIds, defaultFormatId, type FormatId, formatIds } from "~/server/exports/formats";
import type { FileOptions } from "~/server/exports/formats/file-options";
import type { ExportKind } from "~/server/exports/job/export-job";
import { kindsOfRun } from "~/server/exports/kinds";
import { metricKind, metricRun } from "~/server/exports/kinds/metric";
import { visitRun } from "~/server/exports/kinds/visit-kind";
import type { DueSlot } from "~/server/schedules/schedule-queue";

const requester = {
  exportId: z.string(),
  teamId: z.string(),
  userId: z.string(),
  fileTtlSeconds: z.number().int().positive().optional(),
};

/** The file the run writes (`fileOf` reads it): an event sent before exports had a format has none, and was CSV. */
const file = { format: z.enum(formatIds).optional(), compression: z.enum(compressionIds).optional() };

export function fileOf(data: { format?: FormatId; compression?: CompressionId }): FileOptions {
  return { format: data.format ?? defaultFormatId, compression: data.compression };
}

export const metricExportRequested = eventType("export/metric.requested", {
  schema: z.object({ ...requester, ...file, ...metricKind.input.shape }),
});

const visitKinds = kindsOfRun(visitRun).map((kind) => kind.id) as [ExportKind, ...ExportKind[]];

export const visitExportRequested = eventType("export/visits.requested", {
  schema: z.object({
    ...requester,
    ...file,
    kind: z.enum(visitKinds),
    resourceId: z.string(),
    groupId: z.string().optional(),
  }),
});

/** Sent when a user cancels; every export function is `cancelOn` this, matched by exportId. */
export const exportCancelRequested = eventType("export/cancel.requested", {
  schema: z.object({ exportId: z.string() }),
});

/** A finished export's file, to be deleted once its lifetime has passed. */
export const exportFileCreated = eventType("export/file.created", {
  schema: z.object({ exportId: z.string(), key: z.string(), ttlSeconds: z.number().int().positive() }),
});

/** A schedule's slot has come (or a member asked to run it now); sent by the scheduler. */
export const scheduleDue = eventType("export/schedule.due", {
  schema: z.object({ scheduleId: z.string(), dueAt: z.iso.datetime() }),
});

/** The slot's event, with the schedule id and slot as its id: a slot runs once, however often it is sent. */
export function scheduleDueEvent(slot: DueSlot) {
  return scheduleDue.create(slot, { id: `schedule-${slot.scheduleId}-${slot.dueAt}` });
}

/** Someone asked for an email about an export's outcome; its run waits for the end and sends it. */
export const exportOutcomeEmailRequested = eventType("export/outcome-email.requested", {
  schema: z.object({ exportId: z.string() }),
});

/**
 * The event that starts a new export's run: each run has its own, whose data names the target
 * its own way. The export id is the event's id too, so that a repeated send starts one run.
 */
export function exportRequested({ request, kind, target, file }: RunRequest) {
  const options = { id: `export-${request.exportId}` };
  if (kind.run === metricRun) {
    return metricExportRequested.create({ ...request, ...file, metricId: target.resourceId, metricVersionNumber: target.version }, options);
  }
  if (kind.run === visitRun) {
    return visitExportRequested.create({ ...request, ...file, kind: kind.id, resourceId: target.resourceId, groupId: target.groupId }, options);
  }
  throw new AppError("INTERNAL", `No event starts a run of ${kind.id} exports`);
}
