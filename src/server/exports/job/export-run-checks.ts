/**
 * What every export step checks again, itself, before it reads data or writes a file. The
 * event and the results of earlier steps arrive in the request body, so a step that trusted
 * them could be steered by a forged request into another team's data or another export's
 * file. The job record in Redis, written by the authorised start path, is what counts.
 */
import { NonRetriableError } from "inngest";

import { AppError } from "~/server/errors";
import { getJobStore } from "~/server/services";
import { EXPORTS_PREFIX, safeFileName } from "~/server/storage";
import { requireMembership } from "~/server/teams/membership";

import type { ExportJob, ExportKind } from "./export-job";

export type ExportRequest = { exportId: string; teamId: string; userId: string };

/** What a run says it exports; it must be what its job record says. */
export type ExportTarget = { type: ExportKind; resourceId: string; groupId?: string };

/**
 * The run's own job, after checking that it is the export the event names: same team, user,
 * kind and resource, and the requester still a member of the team. A record that belongs to
 * someone else is left untouched (the run has no business settling it): NonRetriableError.
 */
export async function requireOwnJob(data: ExportRequest, target: ExportTarget): Promise<ExportJob> {
  const job = await getJobStore().get(data.exportId);
  if (!job) throw new NonRetriableError("The export no longer exists");
  const matches =
    job.teamId === data.teamId &&
    job.userId === data.userId &&
    job.type === target.type &&
    job.resourceId === target.resourceId &&
    (job.groupId ?? null) === (target.groupId ?? null);
  if (!matches) throw new NonRetriableError("The run does not match the export it names");
  await requireMembership(data.userId, data.teamId);
  return job;
}

/** `exports/<team>/`, as `newExportKey` builds it. */
function teamPrefix(teamId: string): string {
  return `${EXPORTS_PREFIX}${safeFileName(teamId, "team")}/`;
}

/**
 * Refuses a file key that is not the one "load" recorded on the job, under the team's own
 * prefix: FORBIDDEN, which fails the export.
 */
export async function requireOwnFileKey(data: ExportRequest, key: string): Promise<void> {
  const recorded = await getJobStore().fileKey(data.exportId);
  if (!recorded || recorded !== key || !key.startsWith(teamPrefix(data.teamId))) {
    throw new AppError("FORBIDDEN", "The export was stopped: the file it was about to write is not its own");
  }
}
