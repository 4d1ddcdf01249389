/**
 * PostgreSQL, two ways, one connection per query:
 * - `queryCsv`, the export's path: the server writes the CSV itself through COPY (see
 *   postgres-copy), several times faster than handing rows to JavaScript;
 * - `query`: a server-side cursor (pg-cursor, extended protocol), rows fetched `batchSize` at
 *   a time as arrays, never more than the row budget. `queryCsv` falls back to it for SQL
 *   that the COPY cannot wrap.
 *
 * Each query runs in `BEGIN TRANSACTION READ ONLY` with `SET LOCAL statement_timeout`, so a
 * write is refused by the server (SQLSTATE 25006) and a slow statement is cancelled by it.
 * The extended protocol also refuses several statements in one query, so the metric's SQL
 * cannot COMMIT its way out of the transaction and go on. The statement timeout covers each
 * fetch of the cursor, and the whole of a COPY.
 *
 * Every connection first asks source-target where it may go, and connects to the address it
 * returned rather than to the name, so the app's own database and (in production) private
 * networks stay out of reach however a name resolves.
 *
 * The session runs with TimeZone=UTC, so `now()::date` and the like in a metric mean UTC,
 * and DateStyle=ISO, which the timestamp parsers in postgres-types rely on.
 */
import { isIP } from "node:net";

import pg from "pg";
import Cursor from "pg-cursor";

import { type Column, typedColumn } from "~/server/columns";
import { type CsvRecordChunk } from "~/server/csv";
import { AppError } from "~/server/errors";

import { type PostgresCredentials } from "../credentials";
import { connectToFirst, resolveDatabaseTarget, type SourceTargetPolicy } from "../source-target";
import {
  type CsvRecordsResult,
  type CsvRules,
  DEFAULT_BATCH_SIZE,
  type QueryResult,
  rowBudget,
  type SourceAdapter,
  type SourceQuery,
} from "../source-adapter";
import {
  connectionFailed,
  errorMessage,
  isNetworkError,
  isPassThrough,
  queryFailed,
  queryTimedOut,
  SecretRedactor,
  urlSecrets,
} from "../source-errors";
import { type PostgresConnection, postgresConnection } from "./postgres-connection";
import { CopyOutRecords } from "./copy-out-records";
import { copySql, describeSql } from "./postgres-copy";
import { exportTypeParsers, postgresCellType } from "./postgres-types";

const CONNECT_TIMEOUT_MS = 15_000;
const QUERY_CANCELED = "57014";

type Row = unknown[];

/** The client's settings for one checked address; TLS still verifies the certificate against the host name. */
function clientConfig(connection: PostgresConnection, address: string): pg.ClientConfig {
  const { host, port, database, user, password, ssl } = connection;
  return {
    types: exportTypeParsers,
    connectionTimeoutMillis: CONNECT_TIMEOUT_MS,
    keepAlive: true,
    application_name: "export-center",
    host: address,
    port,
    database,
    user,
    password,
    ...(ssl === undefined ? {} : { ssl: tlsOptions(ssl, host) }),
  };
}

function tlsOptions(ssl: NonNullable<PostgresConnection["ssl"]>, host: string): pg.ClientConfig["ssl"] {
  if (ssl === false) return false;
  const options = ssl === true ? {} : ssl;
  // Given an address, pg would send no SNI and check the certificate against the address.
  return isIP(host) ? options : { servername: host, ...options };
}

function secretsOf(credentials: PostgresCredentials): string[] {
  if ("url" in credentials) return urlSecrets(credentials.url);
  return credentials.password ? [credentials.password] : [];
}

function sessionSetup(statementTimeoutMs: number): string {
  const timeout = Math.max(1, Math.floor(statementTimeoutMs));
  return [
    "BEGIN TRANSACTION READ ONLY",
    `SET LOCAL statement_timeout = ${timeout}`,
    "SET LOCAL TimeZone = 'UTC'",
    "SET LOCAL DateStyle = 'ISO, YMD'",
    "SET LOCAL IntervalStyle = 'postgres'",
  ].join("; ");
}

function exportColumns(fields: pg.FieldDef[]): Column[] {
  if (fields.length === 0) {
    throw new AppError("QUERY_FAILED", "The statement returned no columns to export; a metric must be a SELECT.");
  }
  return fields.map((f) => typedColumn(f.name, postgresCellType(f.dataTypeID, f.dataTypeModifier)));
}

function read(cursor: Cursor<Row>, count: number): Promise<{ rows: Row[]; fields: pg.FieldDef[] }> {
  return new Promise((resolve, reject) => {
    cursor.read(count, (error, rows, result) => (error ? reject(error) : resolve({ rows, fields: result.fields })));
  });
}

export function createPostgresAdapter(credentials: PostgresCredentials, policy: SourceTargetPolicy): SourceAdapter {
  const redactor = new SecretRedactor(secretsOf(credentials));
  const connection = postgresConnection(credentials);
  /** Each open client, with the address it connected to, where a cancel request must go too. */
  const open = new Map<pg.Client, string>();

  async function release(client: pg.Client): Promise<void> {
    if (!open.delete(client)) return;
    await client.end().catch(() => undefined);
  }

  function toAppError(error: unknown, query: SourceQuery, phase: "connect" | "query"): unknown {
    if (isPassThrough(error, query.signal)) return error;
    if (query.signal?.aborted) return query.signal.reason;
    const code = (error as { code?: unknown }).code;
    if (phase === "connect" || isNetworkError(error) || /Connection terminated/i.test(errorMessage(error))) {
      return connectionFailed(error, redactor, "POSTGRES");
    }
    if (code === QUERY_CANCELED && /statement timeout/i.test(errorMessage(error))) {
      return queryTimedOut(query.statementTimeoutMs, error, redactor);
    }
    return queryFailed(error, redactor, typeof code === "string" ? { sqlState: code } : undefined);
  }

  async function connectTo(address: string): Promise<pg.Client> {
    const client = new pg.Client(clientConfig(connection, address));
    // Errors of a live connection also reach the pending query; without a listener, pg
    // would re-throw them as an uncaught exception.
    client.on("error", () => undefined);
    open.set(client, address);
    try {
      await client.connect();
      return client;
    } catch (error) {
      await release(client);
      throw error;
    }
  }

  async function connect(query: SourceQuery): Promise<pg.Client> {
    try {
      const addresses = await resolveDatabaseTarget(connection, policy);
      return await connectToFirst(addresses, connectTo);
    } catch (error) {
      throw toAppError(error, query, "connect");
    }
  }

  async function* batches(
    client: pg.Client,
    cursor: Cursor<Row>,
    first: Row[],
    firstWasLast: boolean,
    query: SourceQuery,
    stopListening: () => void,
  ): AsyncGenerator<Row[]> {
    const batchSize = query.batchSize ?? DEFAULT_BATCH_SIZE;
    let remaining = rowBudget(query) - first.length;
    let exhausted = firstWasLast;
    // The next batch is requested before the current one is handed over, so that the
    // server produces rows while the CSV writer encodes the previous ones.
    const fetchNext = () => {
      if (exhausted || remaining <= 0) return undefined;
      const wanted = Math.min(batchSize, remaining);
      const next = read(cursor, wanted).then(({ rows }) => {
        remaining -= rows.length;
        exhausted = rows.length < wanted;
        return rows;
      });
      // Settled by the loop below, unless the consumer stops first and ends the connection.
      next.catch(() => undefined);
      return next;
    };
    try {
      let pending = fetchNext();
      if (first.length > 0) yield first;
      while (pending) {
        let rows: Row[];
        try {
          rows = await pending;
        } catch (error) {
          throw toAppError(error, query, "query");
        }
        pending = fetchNext();
        if (rows.length > 0) yield rows;
      }
    } finally {
      stopListening();
      // Ending the connection ends the transaction and the cursor with it, at once, even
      // when the result has millions of rows left.
      await release(client);
    }
  }

  /**
   * Closing a connection does not stop its query: the server only notices a gone client when
   * it next writes, which `pg_sleep` or a long sort never do. A cancel request from a second
   * connection stops it now.
   */
  async function cancelRunning(client: pg.Client): Promise<void> {
    const pid = (client as unknown as { processID?: number }).processID;
    const address = open.get(client);
    if (!pid || !address) return;
    const canceller = new pg.Client(clientConfig(connection, address));
    canceller.on("error", () => undefined);
    try {
      await canceller.connect();
      await canceller.query("SELECT pg_cancel_backend($1)", [pid]);
    } catch {
      // Best effort: the statement timeout still bounds the query.
    } finally {
      await canceller.end().catch(() => undefined);
    }
  }

  /** Connects and opens the read-only transaction; aborting the query cancels it and ends the connection. */
  async function begin(query: SourceQuery): Promise<{ client: pg.Client; stopListening: () => void }> {
    query.signal?.throwIfAborted();
    const client = await connect(query);
    const abort = () => void cancelRunning(client).then(() => release(client));
    query.signal?.addEventListener("abort", abort, { once: true });
    const stopListening = () => query.signal?.removeEventListener("abort", abort);
    try {
      await client.query(sessionSetup(query.statementTimeoutMs));
      return { client, stopListening };
    } catch (error) {
      stopListening();
      await release(client);
      throw toAppError(error, query, "query");
    }
  }

  async function runCursor(client: pg.Client, query: SourceQuery, stopListening: () => void): Promise<QueryResult> {
    const cursor = client.query(new Cursor<Row>(query.sql, undefined, { rowMode: "array" }));
    const wanted = Math.min(query.batchSize ?? DEFAULT_BATCH_SIZE, rowBudget(query));
    const { rows, fields } = await read(cursor, wanted);
    return { columns: exportColumns(fields), batches: batches(client, cursor, rows, rows.length < wanted, query, stopListening) };
  }

  async function query(query: SourceQuery): Promise<QueryResult> {
    const { client, stopListening } = await begin(query);
    try {
      return await runCursor(client, query, stopListening);
    } catch (error) {
      stopListening();
      await release(client);
      throw toAppError(error, query, "query");
    }
  }

  async function* records(client: pg.Client, copy: CopyOutRecords, query: SourceQuery, stopListening: () => void): AsyncGenerator<CsvRecordChunk> {
    try {
      for await (const chunk of copy) yield chunk as CsvRecordChunk;
    } catch (error) {
      throw toAppError(error, query, "query");
    } finally {
      stopListening();
      // As with the cursor: ending the connection stops a COPY that still has rows to send.
      await release(client);
    }
  }

  async function queryCsv(query: SourceQuery, rules: CsvRules): Promise<QueryResult | CsvRecordsResult> {
    const { client, stopListening } = await begin(query);
    try {
      // The describe step plans the wrapped SQL without running it. When the metric's SQL
      // cannot be wrapped (a non-SELECT, a data-modifying WITH), the row path runs it as
      // written, so the user sees the database's own answer to their SQL.
      await client.query("SAVEPOINT describe_export");
      let fields: pg.FieldDef[];
      try {
        // The extended protocol refuses a second statement (pg's typings lack `queryMode`).
        const describe = { text: describeSql(query.sql), rowMode: "array", queryMode: "extended" } as pg.QueryArrayConfig;
        ({ fields } = await client.query(describe));
      } catch {
        await client.query("ROLLBACK TO SAVEPOINT describe_export");
        return await runCursor(client, query, stopListening);
      }
      const columns = exportColumns(fields);
      const copy = client.query(new CopyOutRecords(copySql(query.sql, fields, { maxRows: query.maxRows, neutralizeFormulas: rules.neutralizeFormulas })));
      return { columns, csvRecords: records(client, copy, query, stopListening) };
    } catch (error) {
      stopListening();
      await release(client);
      throw toAppError(error, query, "query");
    }
  }

  return {
    type: "POSTGRES",
    query,
    queryCsv,
    async test() {
      const result = await query({ sql: "SELECT 1", maxRows: 1, statementTimeoutMs: CONNECT_TIMEOUT_MS });
      for await (const _ of result.batches) void _;
    },
    async close() {
      await Promise.all([...open.keys()].map(release));
    },
  };
}
