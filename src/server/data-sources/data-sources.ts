/**
 * A team's data sources. Credentials go in through `create` and `test`, are encrypted with
 * the vault, and never come back out: no select here includes them. Where a source may
 * connect is checked when it is saved, and again by the adapter on every connection.
 */
import { getEnv } from "~/env";
import type { DataSourceType } from "~/generated/prisma/client";
import { db } from "~/server/db";
import { AppError } from "~/server/errors";
import { checkSourceTarget, createSourceAdapter, parseSourceCredentials, type SourceAdapter } from "~/server/sources";
import { openJson, sealJson } from "~/server/vault";

import { sourceTargetPolicy } from "./source-target-policy";

export const dataSourceSelect = {
  id: true,
  teamId: true,
  name: true,
  type: true,
  createdAt: true,
  updatedAt: true,
  encryptedCredentials: false,
  _count: { select: { metrics: true } },
} as const;

export function listDataSources(teamId: string) {
  return db.dataSource.findMany({ where: { teamId }, orderBy: { name: "asc" }, select: dataSourceSelect });
}

export async function createDataSource(teamId: string, input: { name: string; type: DataSourceType; credentials: unknown }) {
  const credentials = parseSourceCredentials(input.type, input.credentials);
  await checkSourceTarget(input.type, credentials, sourceTargetPolicy());
  const existing = await db.dataSource.findUnique({ where: { teamId_name: { teamId, name: input.name } }, select: { id: true } });
  if (existing) throw new AppError("CONFLICT", `A data source named "${input.name}" already exists`);
  return db.dataSource.create({
    data: { teamId, name: input.name, type: input.type, encryptedCredentials: sealJson(credentials, getEnv().VAULT_KEY) },
    select: dataSourceSelect,
  });
}

/** Runs `SELECT 1`, then lets go of the connection whatever happened. */
async function runTest(adapter: SourceAdapter) {
  try {
    await adapter.test();
  } finally {
    await adapter.close();
  }
}

/** Tests credentials that are not saved anywhere. */
export async function testCredentials(type: DataSourceType, credentials: unknown) {
  await runTest(await createSourceAdapter(type, credentials, sourceTargetPolicy()));
}

/** The adapter for a saved data source, its credentials decrypted only in memory. */
export async function openDataSource(teamId: string, dataSourceId: string): Promise<SourceAdapter> {
  const source = await db.dataSource.findFirst({
    where: { id: dataSourceId, teamId },
    select: { type: true, encryptedCredentials: true },
  });
  if (!source) throw new AppError("NOT_FOUND", "No such data source");
  if (!source.encryptedCredentials) throw new AppError("NOT_FOUND", "The data source has no credentials");
  return createSourceAdapter(source.type, openJson(source.encryptedCredentials, getEnv().VAULT_KEY), sourceTargetPolicy());
}

export async function testDataSource(teamId: string, dataSourceId: string) {
  await runTest(await openDataSource(teamId, dataSourceId));
}

export async function deleteDataSource(teamId: string, dataSourceId: string) {
  const source = await db.dataSource.findFirst({ where: { id: dataSourceId, teamId }, select: { _count: { select: { metrics: true } } } });
  if (!source) throw new AppError("NOT_FOUND", "No such data source");
  if (source._count.metrics > 0) {
    throw new AppError("CONFLICT", `${source._count.metrics} metric(s) still use this data source; delete or move them first`);
  }
  await db.dataSource.delete({ where: { id: dataSourceId } });
}
