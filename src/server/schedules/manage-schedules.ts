/**
 * Creating, changing, listing and deleting a team's schedules, for tRPC and REST alike. Owners
 * and admins manage them; every member sees them (src/server/teams/permissions.ts). A request
 * refused for any reason creates and changes nothing: every check runs before the one write.
 */
import { randomBytes } from "node:crypto";

import { getEnv } from "~/env";
import type { Prisma } from "~/generated/prisma/client";
import { db } from "~/server/db";
import { recordScheduleChange } from "~/server/audit/schedule-audit";
import { AppError } from "~/server/errors";
import { exportLimits } from "~/server/exports/export-limits";
import type { ExportQueue } from "~/server/exports/export-queue";
import { fileOptionsSchema } from "~/server/exports/formats/file-options";
import { kindDefinition } from "~/server/exports/kinds";
import { scheduleChangeRefusal, type TeamMember } from "~/server/teams/permissions";
import { sealJson } from "~/server/vault";

import { type DestinationInput, destinationOf } from "./destinations";
import { nextRunAfter, timingProblem } from "./next-run";
import { beginScheduledRun } from "./run-schedule";
import { type CreateScheduleInput, type DestinationChange, type ScheduleExport, scheduledKindInput, storedExport, type UpdateScheduleInput } from "./schedule-input";
import type { ScheduleQueue } from "./schedule-queue";
import { runSelect, runView, scheduleSelect, scheduleView, type StoredDestination, storedDestinations } from "./schedule-view";

/** A bad field, as the edges name one: `field: reason`, with the issue in the details; NOT_FOUND for one that names what is not there. */
function badField(field: string, message: string, code: "BAD_REQUEST" | "NOT_FOUND" = "BAD_REQUEST"): AppError {
  return new AppError(code, `${field}: ${message}`, { details: { issues: [{ path: field, message }] } });
}

function requireManager(member: TeamMember) {
  const refusal = scheduleChangeRefusal(member, "manage");
  if (refusal) throw new AppError("FORBIDDEN", refusal);
}

/** The longest a run's file may be kept: the job record that links to it lives no longer. */
function maxRetentionDays(): number {
  return Math.max(1, Math.floor(exportLimits().jobTtlSeconds / 86_400));
}

function checkTiming(cron: string, timezone: string) {
  const problem = timingProblem(cron, timezone, getEnv().SCHEDULE_MIN_INTERVAL_MINUTES);
  if (problem) throw badField(problem.field, problem.message);
}

function checkRetention(days: number) {
  const max = maxRetentionDays();
  if (days > max) throw badField("retentionDays", `must be at most ${max} (the export job record's lifetime, EXPORT_JOB_TTL_SECONDS)`);
}

/**
 * The export's resource must be the team's, and a pinned metric version must exist: the kind's
 * own lookup, NOT_FOUND otherwise. What is stored of the export, once checked.
 */
async function checkExport(teamId: string, input: ScheduleExport) {
  const stored = storedExport(input);
  if (input.kind === "metric" && stored.metricVersion !== null) {
    const metric = await db.metric.findFirst({ where: { id: input.metricId, teamId }, select: { versions: { where: { number: stored.metricVersion }, select: { number: true } } } });
    if (metric && metric.versions.length === 0) throw badField("export.metricVersion", `the metric has no version ${stored.metricVersion}`, "NOT_FOUND");
  }
  const kindInput = scheduledKindInput(stored.exportInput, stored.metricVersion);
  const kind = kindDefinition(kindInput.kind);
  await kind.findResource(teamId, kind.target(kindInput as never));
  return { exportKind: input.kind, exportInput: stored.exportInput as Prisma.InputJsonObject, metricVersion: stored.metricVersion };
}

function store(input: DestinationInput): StoredDestination {
  return { type: input.type, settings: destinationOf(input.type)!.settings(input as never) };
}

/** A change's destinations as stored: a kept one is the schedule's current one, secrets and all. */
function resolveDestinations(changes: DestinationChange[], current: StoredDestination[]): StoredDestination[] {
  return changes.map((change, index) => {
    if (!("keep" in change)) return store(change);
    const kept = current[change.keep];
    if (!kept) throw badField(`destinations.${index}`, `keeps destination ${change.keep}, but the schedule has ${current.length} (numbered from 0)`);
    return kept;
  });
}

const needsSigningSecret = (destinations: { type: string }[]) => destinations.some((d) => destinationOf(d.type)!.signed);

/** A fresh signing secret, and its sealed form to store. */
function newSigningSecret() {
  const secret = `whsec_${randomBytes(32).toString("hex")}`;
  return { secret, sealed: sealJson(secret, getEnv().VAULT_KEY) };
}

function firstRun(cron: string, timezone: string, enabled: boolean, now = new Date()): Date | null {
  return enabled ? nextRunAfter(cron, timezone, now) : null;
}

export async function listSchedules(teamId: string) {
  const rows = await db.schedule.findMany({ where: { teamId }, orderBy: { createdAt: "desc" }, select: scheduleSelect });
  return rows.map(scheduleView);
}

export async function getSchedule(teamId: string, scheduleId: string) {
  const row = await db.schedule.findFirst({ where: { id: scheduleId, teamId }, select: scheduleSelect });
  if (!row) throw new AppError("NOT_FOUND", "No such schedule in this team");
  return scheduleView(row);
}

/** Creates a schedule owned by the member; `signingSecret` is in this answer only. */
export async function createSchedule(member: TeamMember, input: CreateScheduleInput) {
  requireManager(member);
  checkTiming(input.cron, input.timezone);
  const retentionDays = input.retentionDays ?? Math.min(7, maxRetentionDays());
  checkRetention(retentionDays);
  const exported = await checkExport(member.teamId, input.export);
  const signing = needsSigningSecret(input.destinations) ? newSigningSecret() : null;
  const row = await db.schedule.create({
    data: {
      teamId: member.teamId,
      ownerId: member.userId,
      name: input.name,
      ...exported,
      format: input.format,
      compression: input.compression ?? null,
      cron: input.cron,
      timezone: input.timezone,
      enabled: input.enabled,
      retentionDays,
      destinations: input.destinations.map(store) as unknown as Prisma.InputJsonArray,
      sealedSigningSecret: signing?.sealed ?? null,
      nextRunAt: firstRun(input.cron, input.timezone, input.enabled),
    },
    select: scheduleSelect,
  });
  await recordScheduleChange({ teamId: member.teamId, schedule: row, userId: member.userId, change: "CREATED" });
  return { ...scheduleView(row), ...(signing ? { signingSecret: signing.secret } : {}) };
}

/** How the audit names a change: turning a schedule off or on is a pause or a resume. */
function changeOf(input: UpdateScheduleInput, current: { enabled: boolean }, resumed: boolean) {
  const fields = Object.keys(input).filter((field) => input[field as keyof UpdateScheduleInput] !== undefined);
  if (resumed || (input.enabled === true && !current.enabled)) return { change: "RESUMED" as const, fields };
  if (input.enabled === false && current.enabled) return { change: "PAUSED" as const, fields };
  return { change: "UPDATED" as const, fields };
}

/**
 * Changes a schedule; `paused: false` resumes one that paused itself, with its failures
 * forgotten. A new signing secret, when the change adds the schedule's first webhook, is in
 * this answer only.
 */
export async function updateSchedule(member: TeamMember, scheduleId: string, input: UpdateScheduleInput) {
  requireManager(member);
  const current = await db.schedule.findFirst({ where: { id: scheduleId, teamId: member.teamId } });
  if (!current) throw new AppError("NOT_FOUND", "No such schedule in this team");
  const cron = input.cron ?? current.cron;
  const timezone = input.timezone ?? current.timezone;
  const enabled = input.enabled ?? current.enabled;
  checkTiming(cron, timezone);
  if (input.retentionDays !== undefined) checkRetention(input.retentionDays);
  const exported = input.export ? await checkExport(member.teamId, input.export) : {};
  // A new format starts with no compression unless the change names one.
  const compression = input.compression ?? (input.format ? undefined : (current.compression ?? undefined));
  const file = fileOptionsSchema.safeParse({ format: input.format ?? current.format, compression });
  if (!file.success) throw badField("compression", file.error.issues[0]!.message);
  const destinations = input.destinations ? resolveDestinations(input.destinations, storedDestinations(current.destinations)) : null;
  const signing = destinations && needsSigningSecret(destinations) && !current.sealedSigningSecret ? newSigningSecret() : null;
  const resumed = input.paused === false && current.pausedAt !== null;
  const paused = current.pausedAt !== null && !resumed;
  const timingChanged = input.cron !== undefined || input.timezone !== undefined || input.enabled !== undefined || resumed;
  const row = await db.schedule.update({
    where: { id: scheduleId },
    data: {
      name: input.name,
      ...exported,
      format: file.data.format,
      compression: file.data.compression ?? null,
      cron: input.cron,
      timezone: input.timezone,
      enabled: input.enabled,
      retentionDays: input.retentionDays,
      ...(destinations ? { destinations: destinations as unknown as Prisma.InputJsonArray } : {}),
      ...(signing ? { sealedSigningSecret: signing.sealed } : {}),
      ...(resumed ? { pausedAt: null, pauseReason: null, consecutiveFailures: 0 } : {}),
      ...(timingChanged ? { nextRunAt: paused ? null : firstRun(cron, timezone, enabled) } : {}),
    },
    select: scheduleSelect,
  });
  await recordScheduleChange({ teamId: member.teamId, schedule: row, userId: member.userId, ...changeOf(input, current, resumed) });
  return { ...scheduleView(row), ...(signing ? { signingSecret: signing.secret } : {}) };
}

/** Deletes a schedule and its history; the files of its runs live out their retention. */
export async function deleteSchedule(member: TeamMember, scheduleId: string): Promise<void> {
  requireManager(member);
  const schedule = await db.schedule.findFirst({ where: { id: scheduleId, teamId: member.teamId }, select: { id: true, name: true } });
  if (!schedule) throw new AppError("NOT_FOUND", "No such schedule in this team");
  await db.schedule.delete({ where: { id: schedule.id } });
  await recordScheduleChange({ teamId: member.teamId, schedule, userId: member.userId, change: "DELETED" });
}

/** A schedule's runs, newest first, a page at a time. */
export async function listScheduleRuns(teamId: string, scheduleId: string, page: { limit: number; offset: number }) {
  const schedule = await db.schedule.findFirst({ where: { id: scheduleId, teamId }, select: { id: true } });
  if (!schedule) throw new AppError("NOT_FOUND", "No such schedule in this team");
  const where = { scheduleId };
  const [rows, total] = await Promise.all([
    db.scheduleRun.findMany({ where, orderBy: [{ startedAt: "desc" }, { id: "desc" }], skip: page.offset, take: page.limit, select: runSelect }),
    db.scheduleRun.count({ where }),
  ]);
  const nextOffset = page.offset + rows.length < total ? page.offset + rows.length : null;
  return { runs: rows.map(runView), total, nextOffset };
}

/**
 * Runs a schedule now, for any member but a viewer: the run starts here, so that the answer
 * carries its export id (and a refusal its reason), and the engine takes it from there.
 */
export async function runScheduleNow(queues: { exports: ExportQueue; schedules: ScheduleQueue }, member: TeamMember, scheduleId: string): Promise<{ exportId: string; runId: string }> {
  const refusal = scheduleChangeRefusal(member, "run");
  if (refusal) throw new AppError("FORBIDDEN", refusal);
  const schedule = await db.schedule.findFirst({ where: { id: scheduleId, teamId: member.teamId }, select: { id: true, name: true } });
  if (!schedule) throw new AppError("NOT_FOUND", "No such schedule in this team");
  await recordScheduleChange({ teamId: member.teamId, schedule, userId: member.userId, change: "RUN_NOW" });
  const dueAt = new Date();
  const begun = await beginScheduledRun(queues.exports, scheduleId, dueAt);
  if (!begun) throw new AppError("NOT_FOUND", "No such schedule in this team");
  await queues.schedules.runDue([{ scheduleId, dueAt: dueAt.toISOString() }]);
  if (!begun.exportId) {
    const run = await db.scheduleRun.findUniqueOrThrow({ where: { id: begun.runId }, select: { error: true } });
    throw new AppError("UNPROCESSABLE", `The schedule could not run: ${run.error ?? "its export did not start"}`, { details: { runId: begun.runId } });
  }
  return { exportId: begun.exportId, runId: begun.runId };
}
