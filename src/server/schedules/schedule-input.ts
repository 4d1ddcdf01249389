/**
 * A schedule as tRPC and REST take it (issue 14's POST body). The cron and time zone are
 * checked against each other and the minimum interval by the domain (manage-schedules.ts),
 * which names the field; everything else is checked here.
 */
import { z } from "zod";

import { fileOptionsFields, fileOptionsShape, refineFileOptions } from "~/server/exports/formats/file-options";
import { kindInputSchema } from "~/server/exports/kinds";

import { destinationInput } from "./destinations";

export const scheduleFields = {
  name: z.string().trim().min(1, "is required").max(200),
  export: kindInputSchema,
  ...fileOptionsShape,
  cron: z.string().trim().min(1, "is required").max(200),
  timezone: z.string().trim().min(1, "is required").max(100),
  enabled: z.boolean(),
  retentionDays: z.number().int().min(1).optional(),
  destinations: z.array(destinationInput).min(1, "needs at least one destination").max(10),
};

export const createScheduleInput = z.strictObject(scheduleFields).superRefine(refineFileOptions);
export type CreateScheduleInput = z.infer<typeof createScheduleInput>;

/**
 * A change: any of the fields, and `paused: false` to resume a schedule that paused itself. The
 * file options come without their default, so that a change that leaves out the format keeps it.
 */
export const updateScheduleInput = z.strictObject({
  ...Object.fromEntries(Object.entries({ ...scheduleFields, ...fileOptionsFields }).map(([name, schema]) => [name, schema.optional()])),
  paused: z.literal(false).optional(),
} as { [K in keyof typeof scheduleFields]: z.ZodOptional<(typeof scheduleFields)[K]> } & { paused: z.ZodOptional<z.ZodLiteral<false>> });
export type UpdateScheduleInput = z.infer<typeof updateScheduleInput>;

export const scheduleRunsQuery = z.strictObject({ limit: z.number().int().min(1).max(100).default(20), offset: z.number().int().min(0).default(0) });
