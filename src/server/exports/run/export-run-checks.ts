/**
 * What every export step checks again, itself, before it reads data or writes a file. The
 * event and the results of earlier steps arrive in the request body, so a step that trusted
 * them could be steered by a forged request into another team's data or another export's
 * file. The job record in Redis, written by the authorised start path, is what counts.
 */
import { AppError } from "~/server/errors";
import type { ExportDestination } from "~/server/exports/destinations";
import type { ExportJob, ExportKind } from "~/server/exports/job/export-job";
import type { ExportRequest, ExportTarget } from "~/server/exports/kinds";
import { getJobStore } from "~/server/services";
import { requireMembership } from "~/server/teams/membership";

/**
 * The run names a record that is not its own (or no record at all): it must leave that record
 * alone, settling nothing and deleting nothing, and stop for good.
 */
export class ForeignExportError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ForeignExportError";
  }
}

/** Whether the record is the export the run's event names: same team, user, kind, resource and version. */
export function isRunsOwnJob(job: ExportJob, request: ExportRequest, kind: ExportKind, target: ExportTarget): boolean {
  return (
    job.teamId === request.teamId &&
    job.userId === request.userId &&
    job.type === kind &&
    job.resourceId === target.resourceId &&
    (job.groupId ?? null) === (target.groupId ?? null) &&
    (job.resourceVersion ?? null) === (target.version ?? null)
  );
}

/**
 * The run's own job, after checking that it is the export the event names, and that the
 * requester is still a member of the team (FORBIDDEN, which fails the export, if not).
 */
export async function requireOwnJob(request: ExportRequest, kind: ExportKind, target: ExportTarget): Promise<ExportJob> {
  const job = await getJobStore().get(request.exportId);
  if (!job) throw new ForeignExportError("The export no longer exists");
  if (!isRunsOwnJob(job, request, kind, target)) throw new ForeignExportError("The run does not match the export it names");
  await requireMembership(request.userId, request.teamId);
  return job;
}

/**
 * Refuses a file key that is not the one "load" recorded on the job, under the team's own
 * prefix: FORBIDDEN, which fails the export.
 */
export async function requireOwnFileKey(request: ExportRequest, key: string, destination: ExportDestination): Promise<void> {
  const recorded = await getJobStore().fileKey(request.exportId);
  if (!recorded || recorded !== key || !destination.ownsKey(request.teamId, key)) {
    throw new AppError("FORBIDDEN", "The export was stopped: the file it was about to write is not its own");
  }
}
