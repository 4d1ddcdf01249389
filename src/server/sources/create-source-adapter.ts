import { parseSourceCredentials } from "./credentials";
import { type DataSourceType, type SourceAdapter } from "./source-adapter";

/**
 * The adapter for a data source, from its decrypted credentials. Throws
 * AppError("BAD_REQUEST") naming the invalid fields (never their values). Nothing connects
 * until `test()` or `query()`.
 *
 * Each driver is imported on first use: snowflake-sdk alone takes over half a second to
 * load, which a process that never exports from Snowflake should not pay.
 */
export async function createSourceAdapter(type: DataSourceType, credentials: unknown): Promise<SourceAdapter> {
  switch (type) {
    case "POSTGRES": {
      const parsed = parseSourceCredentials("POSTGRES", credentials);
      const { createPostgresAdapter } = await import("./postgres/postgres-adapter");
      return createPostgresAdapter(parsed);
    }
    case "MYSQL": {
      const parsed = parseSourceCredentials("MYSQL", credentials);
      const { createMysqlAdapter } = await import("./mysql/mysql-adapter");
      return createMysqlAdapter(parsed);
    }
    case "SNOWFLAKE": {
      const parsed = parseSourceCredentials("SNOWFLAKE", credentials);
      const { createSnowflakeAdapter } = await import("./snowflake/snowflake-adapter");
      return createSnowflakeAdapter(parsed);
    }
    case "BIGQUERY": {
      const parsed = parseSourceCredentials("BIGQUERY", credentials);
      const { createBigQueryAdapter } = await import("./bigquery/bigquery-adapter");
      return createBigQueryAdapter(parsed);
    }
  }
}
