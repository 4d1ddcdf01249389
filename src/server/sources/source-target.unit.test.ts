/**
 * Where a data source may connect, against the machine's real resolver: every spelling of the
 * app's own database is refused, a database of its own on the same server is not.
 */
import { hostname, networkInterfaces } from "node:os";

import { describe, expect, it } from "vitest";

import { AppError } from "~/server/errors";

import { postgresTarget } from "./postgres/postgres-connection";
import { APP_DATABASE_REFUSED, checkSourceTarget, resolveDatabaseTarget, type SourceTargetPolicy } from "./source-target";

const appDatabase = { host: "127.0.0.1", port: 5432, database: "export_center_app" };
const development: SourceTargetPolicy = { allowPrivateNetworks: true, overrideSetting: "DATA_SOURCE_ALLOW_PRIVATE_NETWORKS", appDatabase };
const production: SourceTargetPolicy = { ...development, allowPrivateNetworks: false };

async function refusal(run: Promise<unknown>): Promise<AppError> {
  const error = await run.then(() => undefined, (e: unknown) => e);
  if (!(error instanceof AppError)) throw new Error(`expected an AppError, got ${String(error)}`);
  return error;
}

describe("the app's own database", () => {
  const ownAddresses = Object.values(networkInterfaces())
    .flatMap((list) => list ?? [])
    .map((i) => i.address);
  const aliases = ["127.0.0.1", "localhost", "127.0.0.2", "::1", "::ffff:127.0.0.1", "::ffff:7f00:1", "0.0.0.0", "::", "127.1", hostname(), ...ownAddresses];

  for (const host of aliases) {
    it(`is refused as ${host}, even where private networks are allowed`, async () => {
      const error = await refusal(resolveDatabaseTarget({ ...appDatabase, host }, development));
      expect(error.code).toBe("BAD_REQUEST");
      expect(error.message).toBe(APP_DATABASE_REFUSED);
    });
  }

  it("is refused when saved as a URL or as fields, whatever the URL's query says", async () => {
    for (const credentials of [
      { url: "postgresql://postgres@localhost/export_center_app" },
      { url: "postgresql://postgres@[::1]:5432/export_center_app?host=/var/run/postgresql" },
      { url: "postgres://export_center_app@127.0.0.1:5432" },
      { host: "localhost", port: 5432, database: "export_center_app", user: "reader" },
    ]) {
      const error = await refusal(checkSourceTarget("POSTGRES", credentials, development));
      expect(error.message, JSON.stringify(credentials)).toBe(APP_DATABASE_REFUSED);
    }
  });

  it("is the same server when the app's database is named and the source uses an address, or the other way round", async () => {
    const byName = { ...development, appDatabase: { ...appDatabase, host: "localhost" } };
    expect((await refusal(resolveDatabaseTarget({ ...appDatabase, host: "127.0.0.1" }, byName))).message).toBe(APP_DATABASE_REFUSED);
  });

  it("leaves another database, or another port, on the same server to the network policy", async () => {
    expect(await resolveDatabaseTarget({ ...appDatabase, database: "export_center_app_demo" }, development)).toEqual(["127.0.0.1"]);
    expect(await resolveDatabaseTarget({ ...appDatabase, host: "localhost", port: 5433 }, development)).toContain("127.0.0.1");
    const privateRefusal = await refusal(resolveDatabaseTarget({ ...appDatabase, database: "export_center_app_demo" }, production));
    expect(privateRefusal.message).toMatch(/^The host "127\.0\.0\.1" resolves to a loopback address/);
  });

  it("does not stop a source from being saved when its name does not resolve yet: each connection checks again", async () => {
    await expect(checkSourceTarget("POSTGRES", { url: "postgresql://u@nonexistent.invalid/export_center_app" }, production)).resolves.toBeUndefined();
  });
});

describe("SDK sources", () => {
  it("check their endpoint against the network policy", async () => {
    const credentials = { projectId: "p", apiEndpoint: "http://169.254.169.254/", credentials: { client_email: "a@b", private_key: "k" } };
    const error = await refusal(checkSourceTarget("BIGQUERY", credentials, production));
    expect(error.message).toMatch(/^The host "169\.254\.169\.254" resolves to a link-local address/);
    await expect(checkSourceTarget("BIGQUERY", credentials, development)).resolves.toBeUndefined();
    const snowflake = await refusal(checkSourceTarget("SNOWFLAKE", { account: "a", username: "u", password: "p", accessUrl: "http://10.0.0.5:8080" }, production));
    expect(snowflake.message).toMatch(/resolves to a private network address/);
  });
});

describe("postgresTarget", () => {
  it("reads host, port and database as pg would, defaulting the database to the user", () => {
    expect(postgresTarget({ url: "postgresql://reader:pw@db.example.com:6543/metrics" })).toEqual({ host: "db.example.com", port: 6543, database: "metrics" });
    expect(postgresTarget({ url: "postgres://reader@[::1]/" })).toEqual({ host: "::1", port: 5432, database: "reader" });
    expect(postgresTarget({ url: "postgres://r@h/my%20db?host=/tmp" })).toEqual({ host: "h", port: 5432, database: "my db" });
  });
});
