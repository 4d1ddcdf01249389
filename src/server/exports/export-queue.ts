/**
 * The exports domain's port to the engine that runs exports. The domain says what to start and
 * what to stop; src/server/jobs implements it with Inngest events, and the route layer hands
 * that implementation in, so that the domain never imports the engine.
 */
import type { FileOptions } from "~/server/exports/formats/file-options";
import type { ExportKindDefinition, ExportRequest, ExportTarget } from "~/server/exports/kinds";

export type RunRequest = { request: ExportRequest; kind: ExportKindDefinition; target: ExportTarget; file: FileOptions };

export interface ExportQueue {
  /** Queues the run that produces a new export; rejects when the engine cannot be reached. */
  startRun(run: RunRequest): Promise<void>;
  /** Asks the engine to stop a cancelled export's run at its next step; rejects when the engine cannot be reached. */
  cancelRun(exportId: string): Promise<void>;
  /** Queues the run that emails an export's outcome once it ends (outcome-email/); rejects when the engine cannot be reached. */
  emailOutcome(exportId: string): Promise<void>;
}
