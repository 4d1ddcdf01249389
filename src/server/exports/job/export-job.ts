/**
 * The export job record (DESIGN.md's `ExportJob`), shared by the job store, the tRPC and REST
 * layers, and the UI.
 */
import { z } from "zod";

import { compressionIds, formatIds } from "~/server/exports/formats";

/** What a job can be an export of: each kind is defined in src/server/exports/kinds/, whose registry lists exactly these. */
export const exportKinds = ["metric", "document", "dataroom", "dataroom-group"] as const;
export type ExportKind = (typeof exportKinds)[number];

export const exportStatuses = ["PENDING", "PROCESSING", "COMPLETED", "FAILED", "CANCELLED"] as const;
export type ExportStatus = (typeof exportStatuses)[number];

export const terminalStatuses: readonly ExportStatus[] = ["COMPLETED", "FAILED", "CANCELLED"];

export const exportChannels = ["UI", "CLIENT", "REST", "SCHEDULE"] as const;
/** Where an export was started from: the browser, a typed client, REST, or a schedule. */
export type ExportChannel = (typeof exportChannels)[number];

/**
 * An email about the job's outcome, asked for while it ran (send-email): PENDING until the
 * export ends and the message goes (`error` then says why the last try failed, while tries
 * remain), SENT, or FAILED for good with the reason.
 */
export const outcomeEmailStatuses = ["PENDING", "SENT", "FAILED"] as const;
export type OutcomeEmailStatus = (typeof outcomeEmailStatuses)[number];

export const exportJobSchema = z.object({
  id: z.string(),
  type: z.enum(exportKinds),
  status: z.enum(exportStatuses),
  resourceId: z.string(),
  resourceName: z.string().optional(),
  groupId: z.string().optional(),
  /** The version exported, for a resource that keeps versions (a metric's version number). */
  resourceVersion: z.number().int().optional(),
  error: z.string().optional(),
  /** The AppError code behind `error`, so REST can answer 400 for a failed query. */
  errorCode: z.string().optional(),
  userId: z.string(),
  teamId: z.string(),
  channel: z.enum(exportChannels).optional(),
  /** What the file is written as (formats/): its format, and its compression if it has one. */
  format: z.enum(formatIds),
  compression: z.enum(compressionIds).optional(),
  createdAt: z.string(),
  updatedAt: z.string(),
  startedAt: z.string().optional(),
  completedAt: z.string().optional(),
  progress: z
    .object({ phase: z.string(), rows: z.number(), totalRows: z.number().optional(), bytes: z.number() })
    .optional(),
  file: z
    .object({
      key: z.string(),
      name: z.string(),
      size: z.number(),
      rowCount: z.number(),
      truncated: z.boolean(),
      expiresAt: z.string(),
      /** Set once the file has been removed from storage; the record stays for its TTL. */
      deletedAt: z.string().optional(),
    })
    .optional(),
  email: z
    .object({ to: z.string(), status: z.enum(outcomeEmailStatuses), error: z.string().optional(), sentAt: z.string().optional() })
    .optional(),
});

export type ExportJob = z.infer<typeof exportJobSchema>;

export type ExportProgress = NonNullable<ExportJob["progress"]>;

/**
 * The phases a producing run reports, in the order they happen. Progress is never recorded
 * backwards along them (job-store.ts), so a restarted step cannot drag the bar back.
 */
export const progressPhases = ["fetching durations", "querying", "writing", "uploaded"] as const;
export type ProgressPhase = (typeof progressPhases)[number];
/** Progress as a producer reports it: one of the known phases. */
export type ProgressUpdate = ExportProgress & { phase: ProgressPhase };

/**
 * How a job that stopped moving ends, whoever notices first: a read past its deadline, the
 * watchdog, or a run that the engine ended.
 */
export const stalledExportError = { message: "The export stopped responding; please start it again", code: "TIMEOUT" } as const;
export type ExportFile = NonNullable<ExportJob["file"]>;
export type OutcomeEmail = NonNullable<ExportJob["email"]>;

/**
 * The job's file while a link to it can still be made: COMPLETED, not deleted, and with at
 * least a second left (a link's life is whole seconds, and none would outlive the file).
 */
export function liveFile(job: ExportJob, now = Date.now()): ExportFile | null {
  if (job.status !== "COMPLETED" || !job.file || job.file.deletedAt) return null;
  return Date.parse(job.file.expiresAt) - now < 1000 ? null : job.file;
}

export function isTerminal(status: ExportStatus): boolean {
  return terminalStatuses.includes(status);
}

/** Every legal move of a job's status; anything else is refused by the job store. */
export const allowedTransitions: Record<ExportStatus, readonly ExportStatus[]> = {
  PENDING: ["PROCESSING", "FAILED", "CANCELLED"],
  PROCESSING: ["COMPLETED", "FAILED", "CANCELLED"],
  COMPLETED: [],
  FAILED: [],
  CANCELLED: [],
};
