export const sourceTypes = ["POSTGRES", "MYSQL", "SNOWFLAKE", "BIGQUERY"] as const;
export type SourceType = (typeof sourceTypes)[number];

export const sourceTypeLabels: Record<SourceType, string> = {
  POSTGRES: "PostgreSQL",
  MYSQL: "MySQL / MariaDB",
  SNOWFLAKE: "Snowflake",
  BIGQUERY: "BigQuery",
};

export function sourceTypeLabel(type: string): string {
  return sourceTypeLabels[type as SourceType] ?? type;
}
