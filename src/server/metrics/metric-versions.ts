/**
 * A metric's versions: what it ran (its SQL and data source) at each change, numbered from 1.
 * The metrics module records one on every change; exports run a chosen version, by default
 * the latest.
 */
import type { Prisma } from "~/generated/prisma/client";
import { db } from "~/server/db";
import { AppError } from "~/server/errors";

type Transaction = Prisma.TransactionClient;

/**
 * Records the metric's next version (1 for a new metric). The caller holds the metric's row
 * (it has just created it, or locked it), so that no other version takes the same number.
 */
export async function recordMetricVersion(tx: Transaction, metricId: string, content: { sql: string; dataSourceId: string }) {
  const latest = await tx.metricVersion.findFirst({ where: { metricId }, orderBy: { number: "desc" }, select: { number: true } });
  await tx.metricVersion.create({ data: { metricId, number: (latest?.number ?? 0) + 1, sql: content.sql, dataSourceId: content.dataSourceId } });
}

const versionSelect = { number: true, sql: true, createdAt: true, dataSource: { select: { id: true, name: true, type: true } } } as const;

/** The team's metric's versions, newest first; NOT_FOUND when the metric is not the team's. */
export async function listMetricVersions(teamId: string, metricId: string) {
  const metric = await db.metric.findFirst({
    where: { id: metricId, teamId },
    select: { versions: { orderBy: { number: "desc" }, select: versionSelect } },
  });
  if (!metric) throw new AppError("NOT_FOUND", "No such metric");
  return metric.versions;
}

/**
 * The version an export runs: `number`, or the latest when it is not given. NOT_FOUND, naming
 * the version, when the metric has no such version. The metric must be the team's (the caller
 * checked).
 */
export async function findMetricVersion(metricId: string, number: number | undefined) {
  const version = await db.metricVersion.findFirst({
    where: { metricId, ...(number !== undefined && { number }) },
    orderBy: { number: "desc" },
    select: { number: true, sql: true, dataSourceId: true },
  });
  if (!version) {
    throw new AppError("NOT_FOUND", number === undefined ? "The metric has no versions" : `The metric has no version ${number}`, {
      details: { metricId, metricVersionNumber: number },
    });
  }
  return version;
}
