/**
 * Snowflake through snowflake-sdk: one connection per query, the result streamed with
 * `streamRows()` (the SDK downloads result chunks as the stream is read), grouped into
 * batches, and the stream and connection closed once the row budget is reached, so the
 * remaining chunks are never downloaded.
 *
 * Each session first runs ALTER SESSION SET STATEMENT_TIMEOUT_IN_SECONDS (whole seconds,
 * rounded up), MULTI_STATEMENT_COUNT = 1 (so a metric is one statement, whatever the
 * account default) and STRICT_JSON_OUTPUT (so VARIANT text is valid JSON).
 *
 * Snowflake has no read-only session or transaction. Read-only access is the operator's
 * job: give the export a role that only has USAGE and SELECT grants. A write attempt then
 * fails with Snowflake's "Insufficient privileges" error, which surfaces as QUERY_FAILED.
 *
 * Values: NUMBER and VARIANT come as the strings Snowflake sent (fetchAsString), so digits
 * and JSON are exact; timestamps are rebuilt from the SDK's epoch seconds and nanoseconds
 * rather than its millisecond Date, so no fraction is lost.
 */
import snowflake, { type Column, type Connection, type ConnectionOptions, type DataType, type RowStatement } from "snowflake-sdk";

import { type CellType, type Column as ResultColumn, typedColumn } from "~/server/columns";

import { type SnowflakeCredentials } from "../credentials";
import {
  DEFAULT_BATCH_SIZE,
  type QueryResult,
  rowBudget,
  type SourceAdapter,
  type SourceQuery,
} from "../source-adapter";
import {
  connectionFailed,
  isPassThrough,
  queryFailed,
  queryTimedOut,
  SecretRedactor,
} from "../source-errors";

/** Snowflake's "statement reached its statement or warehouse timeout". */
const STATEMENT_TIMEOUT_CODE = "000630";
/** The export's step retries a failed connection (its run's `retries`); the SDK must not as well. */
const LOGIN_RETRIES = 0;

/**
 * The SDK logs at INFO to ./snowflake.log by default, and warns about precision loss for
 * every large NUMBER even when it is fetched as a string, as here. Its messages are
 * secret-masked, but a server has no business writing a log file into its working
 * directory, so only its errors go to the console.
 */
snowflake.configure({
  logLevel: "ERROR",
  customLogger: {
    error: (message) => console.error(`[snowflake-sdk] ${message}`),
    warn: () => undefined,
    info: () => undefined,
    debug: () => undefined,
    trace: () => undefined,
  },
});

/**
 * Semi-structured OBJECT and ARRAY columns count as native types OBJECT and ARRAY, which
 * the SDK accepts here but its type definitions do not list.
 */
const FETCH_AS_STRING = ["Number", "JSON", "OBJECT", "ARRAY"] as unknown as DataType[];

type SnowflakeDate = Date & { getEpochSeconds(): number; getNanoSeconds(): number; getScale(): number };

function isSnowflakeDate(value: unknown): value is SnowflakeDate {
  return value instanceof Date && typeof (value as Partial<SnowflakeDate>).getEpochSeconds === "function";
}

function isoTimestamp(zone: "" | "Z") {
  return (value: unknown) => {
    if (!isSnowflakeDate(value)) return value;
    const seconds = new Date(value.getEpochSeconds() * 1000).toISOString().slice(0, -5);
    const scale = value.getScale();
    const fraction = scale > 0 ? "." + String(value.getNanoSeconds()).padStart(9, "0").slice(0, scale) : "";
    return seconds + fraction + zone;
  };
}

const isoDate = (value: unknown) => (value instanceof Date ? value.toISOString().slice(0, 10) : value);

interface ColumnPlan {
  cell: CellType;
  convert?: (value: unknown) => unknown;
}

/** NUMBER(p,0) up to 18 digits fits int64; wider, or with a scale, it is a decimal. */
function numberCell(column: Column): CellType {
  const precision = column.getPrecision();
  const scale = column.getScale();
  if (scale === 0 && !(precision > 18)) return { kind: "int64" };
  return precision > 0 ? { kind: "decimal", precision, scale } : { kind: "decimal" };
}

function plan(column: Column): ColumnPlan {
  if (column.isNumber()) {
    if (column.getType() === "real") return { cell: { kind: "double" } };
    return { cell: numberCell(column) };
  }
  if (column.isBoolean()) return { cell: { kind: "boolean" } };
  if (column.isDate()) return { cell: { kind: "date" }, convert: isoDate };
  // NTZ is a wall-clock time without zone; LTZ and TZ are instants, written in UTC.
  if (column.isTimestampNtz()) return { cell: { kind: "timestamp", utc: false }, convert: isoTimestamp("") };
  if (column.isTimestamp()) return { cell: { kind: "timestamp", utc: true }, convert: isoTimestamp("Z") };
  if (column.isBinary()) return { cell: { kind: "binary" } };
  if (column.isArray()) return { cell: { kind: "array" } };
  if (column.isVariant() || column.isObject() || column.isMap()) return { cell: { kind: "json" } };
  if (column.isString() || column.isTime()) return { cell: { kind: "text" } };
  return { cell: { kind: "unknown" } };
}

function connectionOptions(credentials: SnowflakeCredentials): ConnectionOptions {
  const { account, username, password, privateKey, privateKeyPassphrase, warehouse, database, schema, role, accessUrl } =
    credentials;
  return {
    account,
    username,
    ...(privateKey
      ? { authenticator: "SNOWFLAKE_JWT", privateKey, ...(privateKeyPassphrase ? { privateKeyPass: privateKeyPassphrase } : {}) }
      : { password }),
    ...(warehouse ? { warehouse } : {}),
    ...(database ? { database } : {}),
    ...(schema ? { schema } : {}),
    ...(role ? { role } : {}),
    ...(accessUrl ? { accessUrl } : {}),
    // Otherwise a SQL NULL read as a string (fetchAsString) comes back as the text "NULL".
    representNullAsStringNull: false,
    clientSessionKeepAlive: false,
    sfRetryMaxLoginRetries: LOGIN_RETRIES,
  };
}

function execute(connection: Connection, sqlText: string, streamResult: boolean): Promise<RowStatement> {
  return new Promise((resolve, reject) => {
    connection.execute({
      sqlText,
      streamResult,
      rowMode: "array",
      fetchAsString: FETCH_AS_STRING,
      complete: (error, statement) => (error ? reject(error) : resolve(statement)),
    });
  });
}

export function createSnowflakeAdapter(credentials: SnowflakeCredentials): SourceAdapter {
  const redactor = new SecretRedactor([credentials.password, credentials.privateKey, credentials.privateKeyPassphrase]);
  const open = new Set<Connection>();

  async function release(connection: Connection): Promise<void> {
    if (!open.delete(connection)) return;
    await new Promise<void>((resolve) => connection.destroy(() => resolve()));
  }

  function toAppError(error: unknown, query: SourceQuery, phase: "connect" | "query"): unknown {
    if (isPassThrough(error, query.signal)) return error;
    if (query.signal?.aborted) return query.signal.reason;
    const { code, name } = error as { code?: unknown; name?: unknown };
    if (phase === "connect" || name === "NetworkError" || name === "RequestFailedError") {
      return connectionFailed(error, redactor, "SNOWFLAKE");
    }
    if (String(code) === STATEMENT_TIMEOUT_CODE) return queryTimedOut(query.statementTimeoutMs, error, redactor);
    return queryFailed(error, redactor, code === undefined ? undefined : { sourceCode: String(code) });
  }

  async function connect(query: SourceQuery): Promise<Connection> {
    let connection: Connection;
    try {
      connection = snowflake.createConnection(connectionOptions(credentials));
    } catch (error) {
      // The SDK validates options synchronously, e.g. a malformed private key.
      throw connectionFailed(error, redactor, "SNOWFLAKE");
    }
    open.add(connection);
    try {
      // connect() hands every failure to its callback; connectAsync() resolves on some.
      await new Promise<void>((resolve, reject) => connection.connect((error) => (error ? reject(error) : resolve())));
      return connection;
    } catch (error) {
      open.delete(connection);
      throw toAppError(error, query, "connect");
    }
  }

  async function query(query: SourceQuery): Promise<QueryResult> {
    query.signal?.throwIfAborted();
    const connection = await connect(query);
    const abort = () => void release(connection);
    query.signal?.addEventListener("abort", abort, { once: true });
    const stopListening = () => query.signal?.removeEventListener("abort", abort);

    let statement: RowStatement;
    try {
      const timeoutSeconds = Math.max(1, Math.ceil(query.statementTimeoutMs / 1000));
      await execute(
        connection,
        `ALTER SESSION SET STATEMENT_TIMEOUT_IN_SECONDS = ${timeoutSeconds} MULTI_STATEMENT_COUNT = 1 STRICT_JSON_OUTPUT = TRUE`,
        false,
      );
      statement = await execute(connection, query.sql, true);
    } catch (error) {
      stopListening();
      await release(connection);
      throw toAppError(error, query, "query");
    }

    const plans = (statement.getColumns() ?? []).map((column) => ({ name: column.getName(), ...plan(column) }));
    const columns: ResultColumn[] = plans.map(({ name, cell }) => typedColumn(name, cell));
    const converters = plans.flatMap((p, index) => (p.convert ? [{ index, convert: p.convert }] : []));
    const batchSize = query.batchSize ?? DEFAULT_BATCH_SIZE;
    const budget = rowBudget(query);

    async function* batches(): AsyncGenerator<unknown[][]> {
      const rows = statement.streamRows();
      let batch: unknown[][] = [];
      let count = 0;
      try {
        for await (const row of rows as AsyncIterable<unknown[]>) {
          for (const { index, convert } of converters) row[index] = convert(row[index]);
          batch.push(row);
          count++;
          if (count >= budget) break;
          if (batch.length >= batchSize) {
            yield batch;
            batch = [];
          }
        }
        if (batch.length > 0) yield batch;
      } catch (error) {
        throw toAppError(error, query, "query");
      } finally {
        rows.destroy();
        stopListening();
        await release(connection);
      }
    }

    return { columns, batches: batches() };
  }

  return {
    type: "SNOWFLAKE",
    query,
    async test() {
      const result = await query({ sql: "SELECT 1", maxRows: 1, statementTimeoutMs: 30_000 });
      for await (const _ of result.batches) void _;
    },
    async close() {
      await Promise.all([...open].map(release));
    },
  };
}
