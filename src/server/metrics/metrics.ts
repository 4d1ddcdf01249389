/**
 * Metrics: a name, a SQL query and the data source it runs on, owned by a team. Every
 * lookup is scoped by team, so another team's metric is simply not found.
 *
 * A metric keeps its versions (metric-versions.ts): creating one makes version 1, and every
 * change of its SQL or data source makes the next, in the same transaction as the change.
 */
import { db } from "~/server/db";
import { AppError } from "~/server/errors";

import { recordMetricVersion } from "./metric-versions";

export const metricSelect = {
  id: true,
  teamId: true,
  name: true,
  sql: true,
  createdAt: true,
  updatedAt: true,
  dataSource: { select: { id: true, name: true, type: true } },
  /** The latest version's number: the one an export without a version runs. */
  versions: { select: { number: true }, orderBy: { number: "desc" }, take: 1 },
} as const;

type SelectedMetric = { versions: { number: number }[] };

/** The metric as it leaves the server: its latest version's number instead of the list. */
function withVersion<M extends SelectedMetric>({ versions, ...metric }: M): Omit<M, "versions"> & { version: number | null } {
  return { ...metric, version: versions[0]?.number ?? null };
}

export async function listMetrics(teamId: string) {
  const metrics = await db.metric.findMany({ where: { teamId }, orderBy: { name: "asc" }, select: metricSelect });
  return metrics.map(withVersion);
}

export async function getMetric(teamId: string, metricId: string) {
  const metric = await db.metric.findFirst({ where: { id: metricId, teamId }, select: metricSelect });
  if (!metric) throw new AppError("NOT_FOUND", "No such metric");
  return withVersion(metric);
}

async function requireDataSource(teamId: string, dataSourceId: string) {
  const source = await db.dataSource.findFirst({ where: { id: dataSourceId, teamId }, select: { id: true } });
  if (!source) throw new AppError("NOT_FOUND", "No such data source");
}

export async function createMetric(teamId: string, input: { name: string; sql: string; dataSourceId: string }) {
  await requireDataSource(teamId, input.dataSourceId);
  const metric = await db.$transaction(async (tx) => {
    const created = await tx.metric.create({ data: { ...input, teamId }, select: { id: true } });
    await recordMetricVersion(tx, created.id, input);
    return tx.metric.findUniqueOrThrow({ where: { id: created.id }, select: metricSelect });
  });
  return withVersion(metric);
}

export async function updateMetric(
  teamId: string,
  metricId: string,
  input: { name?: string; sql?: string; dataSourceId?: string },
) {
  await getMetric(teamId, metricId);
  if (input.dataSourceId) await requireDataSource(teamId, input.dataSourceId);
  const metric = await db.$transaction(async (tx) => {
    // Locks the metric's row, so that of two concurrent edits each sees the other's result
    // and they make versions N+1 and N+2, not two N+1.
    await tx.$queryRaw`SELECT 1 FROM "Metric" WHERE "id" = ${metricId} FOR UPDATE`;
    const before = await tx.metric.findUniqueOrThrow({ where: { id: metricId }, select: { sql: true, dataSourceId: true } });
    const after = await tx.metric.update({ where: { id: metricId }, data: input, select: { sql: true, dataSourceId: true } });
    if (after.sql !== before.sql || after.dataSourceId !== before.dataSourceId) await recordMetricVersion(tx, metricId, after);
    return tx.metric.findUniqueOrThrow({ where: { id: metricId }, select: metricSelect });
  });
  return withVersion(metric);
}

export async function deleteMetric(teamId: string, metricId: string) {
  await getMetric(teamId, metricId);
  await db.metric.delete({ where: { id: metricId } });
}
