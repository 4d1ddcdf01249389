/**
 * "Test destination": a sample report delivered once, now, to a destination as the form holds
 * it, so that an admin sees the destination's own answer before saving. Nothing is stored. A
 * webhook is signed with the schedule's secret when the schedule exists, so that the receiver's
 * check can be tried too; otherwise with a throwaway one.
 */
import { randomBytes } from "node:crypto";

import { getEnv } from "~/env";
import { db } from "~/server/db";
import { AppError, failureOf } from "~/server/errors";
import { scheduleChangeRefusal, type TeamMember } from "~/server/teams/permissions";
import { openJson } from "~/server/vault";

import { type DeliveryProgress, type DestinationInput, destinationOf, type RunReport } from "./destinations";

/** A test is one attempt: nothing to remember beyond it. */
function onceNow(): DeliveryProgress {
  const done = new Set<string>();
  return { done: async (part) => done.has(part), markDone: async (part) => void done.add(part) };
}

export async function testDestination(member: TeamMember, input: { destination: DestinationInput; scheduleId?: string }): Promise<{ delivered: boolean; reason: string | null }> {
  const refusal = scheduleChangeRefusal(member, "manage");
  if (refusal) throw new AppError("FORBIDDEN", refusal);
  let signingSecret = `whsec_${randomBytes(32).toString("hex")}`;
  if (input.scheduleId) {
    const schedule = await db.schedule.findFirst({ where: { id: input.scheduleId, teamId: member.teamId }, select: { sealedSigningSecret: true } });
    if (!schedule) throw new AppError("NOT_FOUND", "No such schedule in this team");
    if (schedule.sealedSigningSecret) signingSecret = openJson(schedule.sealedSigningSecret, getEnv().VAULT_KEY) as string;
  }
  const destination = destinationOf(input.destination.type)!;
  const report: RunReport = {
    event: "export.completed",
    scheduleId: input.scheduleId ?? "test",
    exportId: null,
    teamId: member.teamId,
    status: "COMPLETED",
    fileName: "test.csv",
    format: "csv",
    rowCount: 0,
    fileSize: 0,
    truncated: false,
    downloadUrl: null,
    error: null,
    schedulePaused: false,
    pauseReason: null,
  };
  try {
    const settings = destination.settings(input.destination as never);
    const signal = AbortSignal.timeout(15_000);
    if (destination.test) await destination.test({ settings, signal });
    else await destination.deliver({ settings, signingSecret, report, file: null, progress: onceNow(), signal });
    return { delivered: true, reason: null };
  } catch (error) {
    return { delivered: false, reason: failureOf(error).message };
  }
}
