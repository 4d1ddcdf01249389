/**
 * How an ExportJob lies in its Redis hash: flat fields an operator can read with
 * `HGETALL export_job:<id>`, the nested progress and file spelled `progress_rows`,
 * `file_key`, …, so that a progress update sets a few fields in place.
 */
import { AppError } from "~/server/errors";
import { defaultFormatId } from "~/server/exports/formats";

import { type ExportFile, type ExportJob, exportJobSchema, type ExportProgress, type OutcomeEmail } from "./export-job";

export type JobFields = Record<string, string | number>;

export function progressFields(p: ExportProgress): { set: JobFields; unset: string[] } {
  const set: JobFields = { progress_phase: p.phase, progress_rows: p.rows, progress_bytes: p.bytes };
  if (p.totalRows === undefined) return { set, unset: ["progress_totalRows"] };
  set.progress_totalRows = p.totalRows;
  return { set, unset: [] };
}

export function fileFields(f: ExportFile): JobFields {
  const fields: JobFields = {
    file_key: f.key,
    file_name: f.name,
    file_size: f.size,
    file_rowCount: f.rowCount,
    file_truncated: f.truncated ? "true" : "false",
    file_expiresAt: f.expiresAt,
  };
  if (f.deletedAt) fields.file_deletedAt = f.deletedAt;
  return fields;
}

/** The outcome email's fields (`email_to`, `email_status`, …), and those of its previous state to drop. */
export function emailFields(e: OutcomeEmail): { set: JobFields; unset: string[] } {
  const set: JobFields = { email_to: e.to, email_status: e.status };
  const unset: string[] = [];
  for (const field of ["error", "sentAt"] as const) {
    const value = e[field];
    if (value) set[`email_${field}`] = value;
    else unset.push(`email_${field}`);
  }
  return { set, unset };
}

export function flatten(fields: JobFields): (string | number)[] {
  return Object.entries(fields).flatMap(([k, v]) => [k, v]);
}

/** The hash's flat reply (field, value, field, value…) as a record. */
export function pairsToFields(flat: readonly string[]): Record<string, string> {
  const fields: Record<string, string> = {};
  for (let i = 0; i + 1 < flat.length; i += 2) fields[flat[i]!] = flat[i + 1]!;
  return fields;
}

const text = (v: string | undefined) => (v === undefined || v === "" ? undefined : v);
const count = (v: string | undefined) => (v === undefined || v === "" ? undefined : Number(v));

export function fieldsToJob(h: Record<string, string>): ExportJob {
  const parsed = exportJobSchema.safeParse({
    id: h.id,
    type: h.type,
    status: h.status,
    resourceId: h.resourceId,
    resourceName: text(h.resourceName),
    groupId: text(h.groupId),
    resourceVersion: count(h.resourceVersion),
    error: text(h.error),
    errorCode: text(h.errorCode),
    userId: h.userId,
    teamId: h.teamId,
    channel: text(h.channel),
    // Records written before exports had a format were all CSV.
    format: text(h.format) ?? defaultFormatId,
    compression: text(h.compression),
    createdAt: h.createdAt,
    updatedAt: h.updatedAt,
    startedAt: text(h.startedAt),
    completedAt: text(h.completedAt),
    progress:
      h.progress_phase !== undefined
        ? { phase: h.progress_phase, rows: count(h.progress_rows) ?? 0, totalRows: count(h.progress_totalRows), bytes: count(h.progress_bytes) ?? 0 }
        : undefined,
    // The key alone is set while the file is being written; the file exists for the caller
    // only once the job completed with it.
    file:
      h.status === "COMPLETED" && h.file_name !== undefined
        ? {
            key: h.file_key,
            name: h.file_name,
            size: count(h.file_size),
            rowCount: count(h.file_rowCount),
            truncated: h.file_truncated === "true",
            expiresAt: h.file_expiresAt,
            deletedAt: text(h.file_deletedAt),
          }
        : undefined,
    email:
      h.email_to !== undefined
        ? { to: h.email_to, status: h.email_status, error: text(h.email_error), sentAt: text(h.email_sentAt) }
        : undefined,
  });
  if (!parsed.success) {
    throw new AppError("INTERNAL", `The export job record ${h.id ?? "(no id)"} in Redis is malformed`, { cause: parsed.error });
  }
  return parsed.data;
}
