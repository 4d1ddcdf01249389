/**
 * What a schedule's destination is: where a finished run is announced or delivered: a
 * webhook, email, Slack, or the customer's own bucket. One file per destination beside this
 * one, and a line in the registry (index.ts).
 *
 * These live with the schedules rather than in exports/destinations/: an export's destination
 * receives the file's bytes while the run writes them, to a key it owns; a schedule's
 * destination acts after the export has ended, on its outcome, with the schedule's own
 * settings and secrets.
 */
import type { Readable } from "node:stream";

import { z } from "zod";

import type { JsonObject } from "~/server/exports/kinds";

/**
 * What a destination is told about a finished run: the webhook payload of issue 14, and the
 * OpenAPI document's `webhooks` entry (src/server/rest/openapi.ts), from this one schema.
 */
export const runReportSchema = z.object({
  event: z.enum(["export.completed", "export.failed"]),
  scheduleId: z.string(),
  exportId: z.string().nullable().describe("The run's export; null when the run failed before it could start one."),
  teamId: z.string(),
  status: z.enum(["COMPLETED", "FAILED"]),
  fileName: z.string().nullable(),
  format: z.string().describe("The schedule's `format`."),
  rowCount: z.number().int().nullable(),
  fileSize: z.number().int().nullable().describe("In bytes."),
  truncated: z.boolean().describe("True when the file ends at the row limit."),
  downloadUrl: z
    .url()
    .nullable()
    .describe("The app's own link (`/api/teams/{teamId}/export-jobs/{exportId}?download=true`), which mints a fresh presigned link on each click; null on a failed run."),
  error: z.string().nullable().describe("Why the run failed; null when it completed."),
  /*
   * True on the one failed run whose failure paused the schedule, with the reason: every
   * destination gets the pause as part of that run's "export.failed" report, rather than a
   * separate event, so a receiver sees the failure and the pause together.
   */
  schedulePaused: z.boolean().describe("True on the failed run that paused the schedule (the fifth failure in a row), with `pauseReason`."),
  pauseReason: z.string().nullable(),
});

export type RunReport = z.infer<typeof runReportSchema>;

/** The run's file, for a destination that carries the bytes (an attachment, the customer's bucket). */
export type DeliveredFile = { name: string; size: number; contentType: string; open(signal: AbortSignal): Promise<Readable> };

/**
 * The parts of one delivery already done, kept across the engine's retries of it: a
 * destination that sends several things (email, one message per recipient) skips on a retry
 * what a failed attempt had already sent.
 */
export type DeliveryProgress = { done(part: string): Promise<boolean>; markDone(part: string): Promise<void> };

/**
 * What a delivery gets: the destination's stored settings, the schedule's signing secret, the
 * file when the run completed and the file is still there, and what earlier attempts did.
 */
export type DeliveryContext = { settings: JsonObject; signingSecret: string | null; report: RunReport; file: DeliveredFile | null; progress: DeliveryProgress; signal: AbortSignal };

/** Methods rather than function-valued fields, so that a destination with its own input type fits the registry. */
export interface ScheduleDestination<Input extends { type: string } = { type: string }> {
  type: Input["type"];
  /** The destination as the API takes it, `type` included. */
  input: z.ZodType<Input>;
  /** Whether the schedule needs a signing secret for it (shown once, as `signingSecret`). */
  signed: boolean;
  /** What is stored of the input; a destination with credentials seals them first. */
  settings(input: Input): JsonObject;
  /** What the API shows of the stored settings: never a secret. */
  view(settings: JsonObject): JsonObject;
  /** Delivers, or throws with the reason fit to record; the engine retries a throw with backoff. */
  deliver(context: DeliveryContext): Promise<void>;
  /** "Test destination" for a destination that is not tried by a sample delivery: throws the store's own reason. */
  test?(context: { settings: JsonObject; signal: AbortSignal }): Promise<void>;
}
