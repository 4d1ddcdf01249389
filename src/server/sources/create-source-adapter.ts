import { parseSourceCredentials, type SourceCredentials } from "./credentials";
import { type DataSourceType, type SourceAdapter } from "./source-adapter";
import { connectionFailed, isNetworkError, SecretRedactor } from "./source-errors";
import { checkEndpoint, type SourceTargetPolicy } from "./source-target";

/**
 * The adapter for a data source, from its decrypted credentials. Throws
 * AppError("BAD_REQUEST") naming the invalid fields (never their values). Nothing connects
 * until `test()` or `query()`, and every connection obeys `policy` (see source-target).
 *
 * Each driver is imported on first use: snowflake-sdk alone takes over half a second to
 * load, which a process that never exports from Snowflake should not pay.
 */
export async function createSourceAdapter(type: DataSourceType, credentials: unknown, policy: SourceTargetPolicy): Promise<SourceAdapter> {
  switch (type) {
    case "POSTGRES": {
      const parsed = parseSourceCredentials("POSTGRES", credentials);
      const { createPostgresAdapter } = await import("./postgres/postgres-adapter");
      return createPostgresAdapter(parsed, policy);
    }
    case "MYSQL": {
      const parsed = parseSourceCredentials("MYSQL", credentials);
      const { createMysqlAdapter } = await import("./mysql/mysql-adapter");
      return createMysqlAdapter(parsed, policy);
    }
    case "SNOWFLAKE": {
      const parsed = parseSourceCredentials("SNOWFLAKE", credentials);
      await checkSdkEndpoint("SNOWFLAKE", parsed, policy);
      const { createSnowflakeAdapter } = await import("./snowflake/snowflake-adapter");
      return createSnowflakeAdapter(parsed);
    }
    case "BIGQUERY": {
      const parsed = parseSourceCredentials("BIGQUERY", credentials);
      await checkSdkEndpoint("BIGQUERY", parsed, policy);
      const { createBigQueryAdapter } = await import("./bigquery/bigquery-adapter");
      return createBigQueryAdapter(parsed);
    }
  }
}

/** An adapter is made just before it connects, so this is the SDKs' connect-time check. */
async function checkSdkEndpoint(type: "SNOWFLAKE" | "BIGQUERY", credentials: SourceCredentials, policy: SourceTargetPolicy) {
  try {
    await checkEndpoint(type, credentials, policy);
  } catch (error) {
    if (isNetworkError(error)) throw connectionFailed(error, new SecretRedactor([]), type);
    throw error;
  }
}
