/**
 * The one interface every data source implements. An export asks an adapter for a result,
 * hands `columns` and `batches` to the export's format, and never sees a driver.
 */
import { type Column } from "~/server/columns";
import { type CsvRecords } from "~/server/csv";

export const dataSourceTypes = ["POSTGRES", "MYSQL", "SNOWFLAKE", "BIGQUERY"] as const;
export type DataSourceType = (typeof dataSourceTypes)[number];

export interface SourceQuery {
  sql: string;
  /**
   * The export's row limit. Adapters read at most `maxRows + 1` rows, so that the CSV
   * writer can tell a result of exactly `maxRows` rows from a longer one, and then stop
   * the query.
   */
  maxRows: number;
  statementTimeoutMs: number;
  /** Rows per batch; the adapter's default suits its driver. */
  batchSize?: number;
  /** Aborting ends the query and its connection; the pending read rejects with the reason. */
  signal?: AbortSignal;
}

export interface QueryResult {
  columns: Column[];
  /**
   * Rows as arrays of values in column order. Read it to the end or stop early (break,
   * return); either way the adapter closes the query and its connection.
   */
  batches: AsyncIterable<unknown[][]>;
}

/**
 * A result encoded as CSV records on the way out of the database (see `CsvRecords`), already
 * following the rules the CSV writer would apply to rows.
 */
export interface CsvRecordsResult {
  columns: Column[];
  /** Read it to the end or stop early; either way the adapter closes the query. */
  csvRecords: CsvRecords;
}

/** The CSV writer's rules that a database must follow to encode a result itself. */
export interface CsvRules {
  neutralizeFormulas: boolean;
}

export interface SourceAdapter {
  readonly type: DataSourceType;
  /** Connects and runs `SELECT 1` the way a query would; throws a sanitised AppError. */
  test(): Promise<void>;
  query(query: SourceQuery): Promise<QueryResult>;
  /**
   * The fast path, where a database can write CSV itself (PostgreSQL's COPY). It answers with
   * rows instead when it cannot encode this statement, so callers handle both.
   */
  queryCsv?(query: SourceQuery, rules: CsvRules): Promise<QueryResult | CsvRecordsResult>;
  /** Ends every connection the adapter still holds, including unread results. */
  close(): Promise<void>;
}

/**
 * Rows a cursor hands over at a time. A batch lives while the next one is fetched and while it
 * is encoded; at 5,000 rows it outlived V8's young generation and was promoted, so the old
 * generation grew with the export (JSON Lines +44% RSS at 1M rows against 100k). At 1,000 it
 * dies young, and the prefetch still hides the round trip.
 */
export const DEFAULT_BATCH_SIZE = 1_000;

/** How many rows a query may read: one beyond the export's limit, to detect truncation. */
export function rowBudget(query: SourceQuery): number {
  return Math.max(0, Math.floor(query.maxRows)) + 1;
}
