/**
 * Every kind of export, by id. A new kind is a file beside these and a line here (its id in
 * the job model's `exportKinds` too, which the job record and its API schema list).
 */
import { z } from "zod";

import type { ExportKind } from "~/server/exports/job/export-job";

import { dataroomKind } from "./dataroom";
import { dataroomGroupKind } from "./dataroom-group";
import { documentKind } from "./document";
import type { ExportKindDefinition, ExportRun, RunLimits } from "./export-kind";
import { metricKind } from "./metric";

export type { Checkpoint, ExportKindDefinition, ExportRequest, ExportRun, ExportTarget, JsonObject, ProducedRows, RunLimits } from "./export-kind";

export const exportKindDefinitions = {
  metric: metricKind,
  document: documentKind,
  dataroom: dataroomKind,
  "dataroom-group": dataroomGroupKind,
} satisfies { [K in ExportKind]: ExportKindDefinition<K> };

/** Any kind's input, with the kind's id as `kind`, e.g. `{ kind: "document", documentId }`. */
export type KindInput = { [K in ExportKind]: { kind: K } & z.infer<(typeof exportKindDefinitions)[K]["input"]> }[ExportKind];

/** Every kind, in the UI's order. */
export const allKindDefinitions: readonly ExportKindDefinition[] = Object.values(exportKindDefinitions);

export function kindDefinition(kind: ExportKind): ExportKindDefinition {
  return exportKindDefinitions[kind];
}

const kindInputs = allKindDefinitions.map((kind) => kind.input.extend({ kind: z.literal(kind.id) }));

/** Validates a KindInput: the kind, then that kind's own input schema (typed per kind, which the list of them loses). */
export const kindInputSchema = z.discriminatedUnion("kind", kindInputs as [(typeof kindInputs)[number], ...typeof kindInputs]) as unknown as z.ZodType<KindInput>;

/** The kinds one run produces, e.g. for its event's `kind` field. */
export function kindsOfRun(run: ExportRun): ExportKindDefinition[] {
  return allKindDefinitions.filter((kind) => kind.run === run);
}

/** Each kind's run limits: the engine's, and the watchdog's bounds. */
export const runLimits = Object.fromEntries(allKindDefinitions.map((kind) => [kind.id, kind.run.limits])) as Record<ExportKind, RunLimits>;

/** The shortest file lifetime an emailed link is offered for: the file must outlast the time people take to read their mail. */
export const MIN_EMAILED_FILE_LIFETIME_SECONDS = 3600;

/** Why an email with a link to the file cannot be asked for on this kind's exports, or null when it can. */
export function emailRefusal(kind: ExportKindDefinition): string | null {
  const lifetime = kind.run.limits.fileTtlSeconds();
  if (lifetime >= MIN_EMAILED_FILE_LIFETIME_SECONDS) return null;
  return `A ${kind.label.toLowerCase()} export's file is kept for only ${lifetime} seconds, too short for a link sent by email; download it from the export center when it completes`;
}

/** What the UI shows of each kind: its name, what its rows are, and why it cannot be emailed, if so. */
export type ExportKindLabels = Record<ExportKind, Pick<ExportKindDefinition, "label" | "unit"> & { emailRefusal: string | null }>;

export function exportKindLabels(): ExportKindLabels {
  return Object.fromEntries(allKindDefinitions.map((kind) => [kind.id, { label: kind.label, unit: kind.unit, emailRefusal: emailRefusal(kind) }])) as ExportKindLabels;
}
