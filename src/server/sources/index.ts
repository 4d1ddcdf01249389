export { createSourceAdapter } from "./create-source-adapter";
export { checkSourceTarget, type SourceTargetPolicy } from "./source-target";
export { postgresTarget } from "./postgres/postgres-connection";
export {
  type BigQueryCredentials,
  bigQueryCredentialsSchema,
  type MysqlCredentials,
  mysqlCredentialsSchema,
  parseSourceCredentials,
  type PostgresCredentials,
  postgresCredentialsSchema,
  type SnowflakeCredentials,
  snowflakeCredentialsSchema,
  type SourceCredentials,
  sourceCredentialsSchemas,
} from "./credentials";
export {
  type CsvRecordsResult,
  type CsvRules,
  type DataSourceType,
  dataSourceTypes,
  type QueryResult,
  type SourceAdapter,
  type SourceQuery,
} from "./source-adapter";
