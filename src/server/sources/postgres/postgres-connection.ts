/**
 * What a PostgreSQL source connects to, from its credentials. From a URL only the host, port,
 * database, user, password and `sslmode` (or `ssl`) are read: pg would also follow
 * `?host=/var/run/postgresql` (a local socket, past every address check) and read
 * `?sslrootcert=/path` (a file on the app's server). The database defaults to the user, as
 * in pg, so that the address checks and the connection agree on the target.
 */
import type { ConnectionOptions } from "node:tls";

import { type PostgresCredentials } from "../credentials";
import type { DatabaseTarget } from "../source-target";

export interface PostgresConnection extends DatabaseTarget {
  user: string;
  password?: string;
  ssl?: boolean | ConnectionOptions;
}

const DEFAULT_PORT = 5432;

function sslFromUrl(params: URLSearchParams): PostgresConnection["ssl"] {
  const mode = params.get("sslmode");
  if (mode === "disable") return false;
  if (mode === "no-verify") return { rejectUnauthorized: false };
  // pg reads every other mode (prefer, require, verify-ca, verify-full) as verified TLS.
  if (mode !== null) return true;
  const ssl = params.get("ssl");
  return ssl === "true" || ssl === "1" ? true : undefined;
}

export function postgresConnection(credentials: PostgresCredentials): PostgresConnection {
  if (!("url" in credentials)) return credentials;
  const url = new URL(credentials.url);
  const user = decodeURIComponent(url.username);
  const ssl = credentials.ssl ?? sslFromUrl(url.searchParams);
  return {
    host: decodeURIComponent(url.hostname.replace(/^\[|\]$/g, "")),
    port: url.port ? Number(url.port) : DEFAULT_PORT,
    database: decodeURIComponent(url.pathname.slice(1)) || user,
    user,
    ...(url.password ? { password: decodeURIComponent(url.password) } : {}),
    ...(ssl === undefined ? {} : { ssl }),
  };
}

export function postgresTarget(credentials: PostgresCredentials): DatabaseTarget {
  const { host, port, database } = postgresConnection(credentials);
  return { host, port, database };
}
