/**
 * What a MySQL or MariaDB source connects to, from its credentials. Only the connection target
 * is taken from a URL: mysql2 would also read any driver option from its query string (e.g.
 * `?multipleStatements=true`), which would undo the adapter's read-only guarantees.
 */
import { type MysqlCredentials } from "../credentials";
import type { DatabaseTarget } from "../source-target";

export interface MysqlConnection extends DatabaseTarget {
  user: string;
  password?: string;
}

export function mysqlConnection(credentials: MysqlCredentials): MysqlConnection {
  if (!("url" in credentials)) {
    const { host, port, database, user, password } = credentials;
    return { host, port, database, user, password };
  }
  const url = new URL(credentials.url);
  return {
    host: decodeURIComponent(url.hostname.replace(/^\[|\]$/g, "")),
    port: url.port ? Number(url.port) : 3306,
    database: decodeURIComponent(url.pathname.slice(1)),
    user: decodeURIComponent(url.username),
    password: decodeURIComponent(url.password),
  };
}

export function mysqlTarget(credentials: MysqlCredentials): DatabaseTarget {
  const { host, port, database } = mysqlConnection(credentials);
  return { host, port, database };
}
