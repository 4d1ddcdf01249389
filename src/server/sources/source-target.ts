/**
 * Where a data source may connect. Two rules, checked when a source is saved and again on
 * every connection (a name may resolve elsewhere by then):
 *
 * - never Export Center's own database, however its host is spelled (localhost, 127.0.0.1,
 *   ::1, the machine's name, a DNS name that resolves to it): the app's database holds every
 *   team's users and sealed credentials. Addresses, port and database name are compared;
 * - only addresses that the network policy allows (network-policy.ts).
 *
 * PostgreSQL and MySQL connect to an address returned here. The Snowflake and BigQuery SDKs
 * resolve their endpoint's name themselves and take no address, so for them the check runs
 * just before the SDK connects and cannot rule out a rebinding in between.
 */
import { networkInterfaces } from "node:os";

import { AppError } from "~/server/errors";

import { mysqlTarget } from "./mysql/mysql-connection";
import { addressKey, classifyAddress, type NetworkPolicy, resolveAddresses, assertPermitted, resolvePermittedAddresses } from "./network-policy";
import { postgresTarget } from "./postgres/postgres-connection";
import { type SourceCredentials } from "./credentials";
import { type DataSourceType } from "./source-adapter";
import { isNetworkError } from "./source-errors";

export interface DatabaseTarget {
  host: string;
  port: number;
  database: string;
}

export interface SourceTargetPolicy extends NetworkPolicy {
  /** The app's own database (DATABASE_URL), which no data source may reach. */
  appDatabase: DatabaseTarget;
}

export const APP_DATABASE_REFUSED =
  "This data source points at Export Center's own database, which holds every team's users and credentials. " +
  "A data source must be a database of its own.";

function isThisMachine(address: string): boolean {
  const kind = classifyAddress(address);
  // Connecting to 0.0.0.0 or :: reaches this machine too.
  if (kind === "loopback" || kind === "unspecified") return true;
  const key = addressKey(address);
  return Object.values(networkInterfaces()).some((list) => list?.some((i) => addressKey(i.address) === key));
}

/** Whether two hosts' addresses reach the same server: both this machine, or an address in common. */
function sameServer(addresses: readonly string[], others: readonly string[]): boolean {
  if (addresses.some(isThisMachine) && others.some(isThisMachine)) return true;
  const keys = new Set(others.map(addressKey));
  return addresses.some((a) => keys.has(addressKey(a)));
}

/**
 * The addresses to connect to for a PostgreSQL or MySQL source, in the resolver's order, or an
 * AppError BAD_REQUEST naming why the target is refused. A failed lookup rejects with the
 * resolver's own error, which the adapters report as a failed connection.
 */
export async function resolveDatabaseTarget(target: DatabaseTarget, policy: SourceTargetPolicy): Promise<string[]> {
  const addresses = await resolveAddresses(target.host);
  const app = policy.appDatabase;
  if (target.port === app.port && target.database === app.database && sameServer(addresses, await resolveAddresses(app.host))) {
    throw new AppError("BAD_REQUEST", APP_DATABASE_REFUSED);
  }
  assertPermitted(target.host, addresses, policy);
  return addresses;
}

/** The host of an SDK source's endpoint; BigQuery's default endpoint is Google's own. */
function endpointHost(type: "SNOWFLAKE" | "BIGQUERY", credentials: SourceCredentials): string | undefined {
  if (type === "SNOWFLAKE") {
    const { accessUrl, account } = credentials as SourceCredentials<"SNOWFLAKE">;
    return new URL(accessUrl ?? `https://${account}.snowflakecomputing.com`).hostname;
  }
  const { apiEndpoint } = credentials as SourceCredentials<"BIGQUERY">;
  return apiEndpoint ? new URL(apiEndpoint).hostname : undefined;
}

/** Checks an SDK source's endpoint just before the SDK connects (see above for what that leaves open). */
export async function checkEndpoint(type: "SNOWFLAKE" | "BIGQUERY", credentials: SourceCredentials, policy: NetworkPolicy): Promise<void> {
  const host = endpointHost(type, credentials);
  if (host) await resolvePermittedAddresses(host, policy);
}

/**
 * The check when a source is saved. A name that does not resolve today is let through: the
 * source cannot connect anywhere yet, and each connection checks again.
 */
export async function checkSourceTarget(type: DataSourceType, credentials: SourceCredentials, policy: SourceTargetPolicy): Promise<void> {
  try {
    if (type === "POSTGRES") await resolveDatabaseTarget(postgresTarget(credentials as SourceCredentials<"POSTGRES">), policy);
    else if (type === "MYSQL") await resolveDatabaseTarget(mysqlTarget(credentials as SourceCredentials<"MYSQL">), policy);
    else await checkEndpoint(type, credentials, policy);
  } catch (error) {
    if (isNetworkError(error)) return;
    throw error;
  }
}

/**
 * Tries the checked addresses in turn, as a connect to the name would have, and fails with the
 * last network error; any other error (a refused login, say) ends the attempt at once.
 */
export async function connectToFirst<T>(addresses: readonly string[], connect: (address: string) => Promise<T>): Promise<T> {
  let failure: unknown = new Error("The host resolved to no address");
  for (const address of addresses) {
    try {
      return await connect(address);
    } catch (error) {
      if (!isNetworkError(error)) throw error;
      failure = error;
    }
  }
  throw failure;
}
