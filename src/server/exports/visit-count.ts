/**
 * How many views a visit export of a team's resource would cover now: what Papermark's modal
 * asks before it starts one, to offer the email for a large export.
 */
import { AppError } from "~/server/errors";
import type { ExportKindDefinition, ExportTarget } from "~/server/exports/kinds";

/** NOT_FOUND when the resource is not the team's, by the lookup that starting an export uses. */
export async function countVisits(teamId: string, kind: ExportKindDefinition, target: ExportTarget): Promise<number> {
  if (!kind.viewCount) throw new AppError("INTERNAL", `Exports of ${kind.id} are not exports of views`);
  await kind.findResource(teamId, target);
  return kind.viewCount(target);
}
