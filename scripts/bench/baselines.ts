/**
 * What each benchmark compares the app with: the database's own client writing the same
 * query's result to a file on this machine, timed from spawn to exit.
 */
import { spawnSync } from "node:child_process";
import { rmSync, statSync } from "node:fs";
import path from "node:path";

export type Baseline = { seconds: number; bytes: number };

function timed(command: string, args: string[], file: string, options: { stdoutToFile?: boolean } = {}): Baseline {
  const started = process.hrtime.bigint();
  const result = options.stdoutToFile
    ? spawnSync("sh", ["-c", `"$0" "$@" > '${file}'`, command, ...args], { stdio: ["ignore", "inherit", "inherit"] })
    : spawnSync(command, args, { stdio: "inherit" });
  if (result.status !== 0) throw new Error(`${command} failed (exit ${result.status ?? result.signal})`);
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const bytes = statSync(file).size;
  rmSync(file);
  return { seconds, bytes };
}

/** `psql -c "\copy (<sql>) to '<file>' csv header"`. */
export function psqlCopy(databaseUrl: string, sql: string, dir: string): Baseline {
  const file = path.join(dir, "psql.csv");
  return timed("psql", [databaseUrl, "-q", "-c", `\\copy (${sql}) to '${file}' csv header`], file);
}

/** `mysql --batch -e "<sql>" > <file>` (tab-separated, MySQL's own fastest text export to a client file). */
export function mysqlBatch(url: string, sql: string, dir: string): Baseline {
  const { hostname, port, username, password, pathname } = new URL(url);
  const args = ["--batch", "-h", hostname, "-P", port || "3306", "-u", decodeURIComponent(username), decodeURIComponent(pathname.slice(1)), "-e", sql];
  if (password) args.unshift(`-p${decodeURIComponent(password)}`);
  return timed("mysql", args, path.join(dir, "mysql.tsv"), { stdoutToFile: true });
}
