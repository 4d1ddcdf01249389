/**
 * Metrics: a name, a SQL query and the data source it runs on, owned by a team. Every
 * lookup is scoped by team, so another team's metric is simply not found.
 */
import { db } from "~/server/db";
import { AppError } from "~/server/errors";

export const metricSelect = {
  id: true,
  teamId: true,
  name: true,
  sql: true,
  createdAt: true,
  updatedAt: true,
  dataSource: { select: { id: true, name: true, type: true } },
} as const;

export function listMetrics(teamId: string) {
  return db.metric.findMany({ where: { teamId }, orderBy: { name: "asc" }, select: metricSelect });
}

export async function getMetric(teamId: string, metricId: string) {
  const metric = await db.metric.findFirst({ where: { id: metricId, teamId }, select: metricSelect });
  if (!metric) throw new AppError("NOT_FOUND", "No such metric");
  return metric;
}

async function requireDataSource(teamId: string, dataSourceId: string) {
  const source = await db.dataSource.findFirst({ where: { id: dataSourceId, teamId }, select: { id: true } });
  if (!source) throw new AppError("NOT_FOUND", "No such data source");
}

export async function createMetric(teamId: string, input: { name: string; sql: string; dataSourceId: string }) {
  await requireDataSource(teamId, input.dataSourceId);
  return db.metric.create({ data: { ...input, teamId }, select: metricSelect });
}

export async function updateMetric(
  teamId: string,
  metricId: string,
  input: { name?: string; sql?: string; dataSourceId?: string },
) {
  await getMetric(teamId, metricId);
  if (input.dataSourceId) await requireDataSource(teamId, input.dataSourceId);
  return db.metric.update({ where: { id: metricId }, data: input, select: metricSelect });
}

export async function deleteMetric(teamId: string, metricId: string) {
  await getMetric(teamId, metricId);
  await db.metric.delete({ where: { id: metricId } });
}
