import type { ExportJob, ExportStatus } from "~/server/exports/job/export-job";

/** Mirrors the server's terminalStatuses; the server module itself carries zod, which the bundle does not need. */
const terminal: ReadonlySet<ExportStatus> = new Set(["COMPLETED", "FAILED", "CANCELLED"]);

export function isTerminalStatus(status: ExportStatus): boolean {
  return terminal.has(status);
}

export function jobName(job: Pick<ExportJob, "resourceName" | "resourceId">): string {
  return job.resourceName ?? job.resourceId;
}

export const statusLabels: Record<ExportStatus, string> = {
  PENDING: "Pending",
  PROCESSING: "Processing",
  COMPLETED: "Completed",
  FAILED: "Failed",
  CANCELLED: "Cancelled",
};

/** The file can be fetched: completed, not deleted, and not past its expiry by the client's clock. */
export function fileAvailable(job: ExportJob, now: number | null): boolean {
  if (job.status !== "COMPLETED" || !job.file || job.file.deletedAt) return false;
  return now === null || Date.parse(job.file.expiresAt) > now;
}

/** Why Download is off, in words, for the button's title and description. */
export function downloadBlockedReason(job: ExportJob, now: number | null): string | null {
  if (fileAvailable(job, now)) return null;
  if (job.status === "COMPLETED") return "The file has been deleted; start the export again";
  if (job.status === "FAILED") return "The export failed, so there is no file";
  if (job.status === "CANCELLED") return "The export was cancelled, so there is no file";
  return "Available when the export completes";
}
