/**
 * A schedule as tRPC and REST take it (issue 14's POST body). The cron and time zone are
 * checked against each other and the minimum interval by the domain (manage-schedules.ts),
 * which names the field; everything else is checked here.
 */
import { z } from "zod";

import { fileOptionsFields, fileOptionsShape, refineFileOptions } from "~/server/exports/formats/file-options";
import { allKindDefinitions, exportKindDefinitions, type KindInput, kindInputSchema } from "~/server/exports/kinds";

import { destinationInput } from "./destinations";

/**
 * A metric's export pins its version as `metricVersion`, the issue's name, where a one-off
 * export says `metricVersionNumber`, Buster's: absent, each run exports the latest version.
 * Strict, so that a `metricVersionNumber` sent here is refused rather than dropped.
 */
const metricExport = exportKindDefinitions.metric.input
  .omit({ metricVersionNumber: true })
  .extend({ kind: z.literal("metric"), metricVersion: z.number().int().min(1).max(2_147_483_647).optional() })
  .strict();
const otherExports = allKindDefinitions.filter((kind) => kind.id !== "metric").map((kind) => kind.input.extend({ kind: z.literal(kind.id) }));

export type ScheduleExport = Exclude<KindInput, { kind: "metric" }> | z.infer<typeof metricExport>;

export const scheduleExportInput = z.discriminatedUnion("kind", [metricExport, ...otherExports]) as unknown as z.ZodType<ScheduleExport>;

/** What is stored of the export: the kind's input, with a metric's pinned version in a column of its own. */
export function storedExport(input: ScheduleExport): { exportInput: KindInput; metricVersion: number | null } {
  if (input.kind !== "metric") return { exportInput: input, metricVersion: null };
  const { metricVersion, ...exportInput } = input;
  return { exportInput, metricVersion: metricVersion ?? null };
}

/** The kind's input that a run exports, from what is stored. */
export function scheduledKindInput(exportInput: unknown, metricVersion: number | null): KindInput {
  const input = kindInputSchema.parse(exportInput);
  return input.kind === "metric" && metricVersion !== null ? { ...input, metricVersionNumber: metricVersion } : input;
}

export const scheduleFields = {
  name: z.string().trim().min(1, "is required").max(200),
  export: scheduleExportInput,
  ...fileOptionsShape,
  cron: z.string().trim().min(1, "is required").max(200),
  timezone: z.string().trim().min(1, "is required").max(100),
  enabled: z.boolean(),
  retentionDays: z.number().int().min(1).optional(),
  destinations: z.array(destinationInput).min(1, "needs at least one destination").max(10),
};

export const createScheduleInput = z.strictObject(scheduleFields).superRefine(refineFileOptions);
export type CreateScheduleInput = z.infer<typeof createScheduleInput>;

/** In a change, one of the schedule's current destinations by its index, kept as stored: its secrets are never shown, so they cannot be sent back. */
const keptDestination = z.strictObject({ keep: z.number().int().min(0).max(9) });

/**
 * A destination in a change: a new one, or a kept one. A failed union hides which branch was
 * meant, so the error names the first problem of the one the value looks like.
 */
const destinationChange = z.union([keptDestination, destinationInput], {
  error: (issue) => {
    if (issue.code !== "invalid_union" || !issue.errors.length) return undefined;
    const meant = issue.errors[typeof issue.input === "object" && issue.input !== null && "keep" in issue.input ? 0 : 1]?.[0];
    return meant && `${[...meant.path].join(".") || "destination"}: ${meant.message}`;
  },
});
export type DestinationChange = z.infer<typeof destinationChange>;

const changedFields = { ...scheduleFields, ...fileOptionsFields, destinations: z.array(destinationChange).min(1, "needs at least one destination").max(10) };

/**
 * A change: any of the fields, and `paused: false` to resume a schedule that paused itself. The
 * file options come without their default, so that a change that leaves out the format keeps it.
 */
export const updateScheduleInput = z.strictObject({
  ...Object.fromEntries(Object.entries(changedFields).map(([name, schema]) => [name, schema.optional()])),
  paused: z.literal(false).optional(),
} as { [K in keyof typeof changedFields]: z.ZodOptional<(typeof changedFields)[K]> } & { paused: z.ZodOptional<z.ZodLiteral<false>> });
export type UpdateScheduleInput = z.infer<typeof updateScheduleInput>;

export const scheduleRunsQuery = z.strictObject({ limit: z.number().int().min(1).max(100).default(20), offset: z.number().int().min(0).default(0) });
