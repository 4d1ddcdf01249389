/**
 * MySQL and MariaDB through mysql2's row events: one connection per query, rows as arrays,
 * gathered into batches (`query`), or, on the export's path (`queryCsv`), raw cells written
 * straight into CSV chunks, without the typed values a CSV only encodes again. The connection
 * is paused while a full batch waits for the consumer, so a slow upload holds back the server
 * instead of filling memory, and it is destroyed as soon as the row budget is reached, which
 * ends the query on the server.
 *
 * The session is `SET SESSION TRANSACTION READ ONLY`, which makes the server refuse writes
 * and DDL alike (ER_CANT_EXECUTE_IN_READ_ONLY_TRANSACTION), and it gets a statement timeout:
 * `max_statement_time` (seconds) on MariaDB, `max_execution_time` (ms) on MySQL, where it
 * applies to SELECT only, which is what a metric is. Multiple statements stay disabled, so a
 * metric cannot switch the session back to read-write before its write.
 *
 * Every connection first asks source-target where it may go; the socket is opened to the
 * address it returned (mysql2's `stream` option), while mysql2 keeps the host name for TLS.
 */
import { connect as connectSocket, type Socket } from "node:net";

import { type Connection, type ConnectionOptions, createConnection, type FieldPacket } from "mysql2";

import { type CsvRecordChunk, CsvRecordChunks } from "~/server/csv";
import { type Column, typedColumn } from "~/server/columns";
import { AppError } from "~/server/errors";

import { type MysqlCredentials } from "../credentials";
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
  isPassThrough,
  queryFailed,
  queryTimedOut,
  SecretRedactor,
  urlSecrets,
} from "../source-errors";
import { type MysqlConnection, mysqlConnection } from "./mysql-connection";
import { type CellWriter, mysqlCellWriters } from "./mysql-csv-cells";
import { mysqlCellType, mysqlValueConverter } from "./mysql-types";

const CONNECT_TIMEOUT_MS = 15_000;
/** ER_STATEMENT_TIMEOUT (MariaDB) and ER_QUERY_TIMEOUT (MySQL). */
const TIMEOUT_ERRNOS = new Set([1969, 3024]);

type Row = unknown[];

/** Gathers streamed rows into the batches a result yields. */
interface Collector<Batch> {
  add(row: Row): void;
  /** A batch is ready: the driver is paused until it is taken. */
  readonly full: boolean;
  readonly empty: boolean;
  /** The rows gathered so far as a batch, or undefined when there are none. */
  take(): Batch | undefined;
}

type Streamed<Batch> = { fields: FieldPacket[]; batches: AsyncGenerator<Batch>; cancel(): void };

const columnsOf = (fields: FieldPacket[]): Column[] => fields.map((f) => typedColumn(f.name, mysqlCellType(f)));

/** Rows as the driver typed them, with the conversions mysql-types still applies. */
function rowCollector(fields: FieldPacket[], batchSize: number): Collector<Row[]> {
  const converters = fields
    .map((f, index) => ({ index, convert: mysqlValueConverter(f) }))
    .filter((c): c is { index: number; convert: (value: unknown) => unknown } => c.convert !== undefined);
  let buffer: Row[] = [];
  return {
    add: (row) => void buffer.push(row),
    get full() {
      return buffer.length >= batchSize;
    },
    get empty() {
      return buffer.length === 0;
    },
    take() {
      if (buffer.length === 0) return undefined;
      const batch = buffer;
      buffer = [];
      if (converters.length > 0) {
        for (const row of batch) for (const { index, convert } of converters) row[index] = convert(row[index]);
      }
      return batch;
    },
  };
}

/** Raw cells written as CSV records, a chunk of about 64 KB at a time. */
function csvCollector(writers: CellWriter[]): Collector<CsvRecordChunk> {
  const chunks = new CsvRecordChunks();
  const width = writers.length;
  return {
    add(row) {
      for (let i = 0; i < width; i++) writers[i]!(chunks, row[i] as Buffer | null);
      chunks.endRecord();
    },
    get full() {
      return chunks.full;
    },
    get empty() {
      return chunks.size === 0;
    },
    take: () => (chunks.size > 0 ? chunks.take() : undefined),
  };
}

function connectionOptions(target: MysqlConnection, address: string, credentials: MysqlCredentials): ConnectionOptions {
  const ssl = credentials.ssl === true ? {} : credentials.ssl || undefined;
  return {
    ...target,
    stream: () => connectSocket({ host: address, port: target.port, noDelay: true, keepAlive: true }),
    ...(ssl ? { ssl } : {}),
    connectTimeout: CONNECT_TIMEOUT_MS,
    charset: "UTF8MB4_UNICODE_CI",
    multipleStatements: false,
    flags: ["-LOCAL_FILES"],
    supportBigNumbers: true,
    bigNumberStrings: true,
    decimalNumbers: false,
    dateStrings: true,
    jsonStrings: true,
    timezone: "Z",
  };
}

function secretsOf(credentials: MysqlCredentials): string[] {
  if ("url" in credentials) return urlSecrets(credentials.url);
  return credentials.password ? [credentials.password] : [];
}

function run(connection: Connection, sql: string): Promise<unknown> {
  return new Promise((resolve, reject) => {
    connection.query(sql, (error, result) => (error ? reject(error) : resolve(result)));
  });
}

async function startSession(connection: Connection, statementTimeoutMs: number): Promise<void> {
  const versionRows = (await run(connection, "SELECT VERSION() AS version")) as { version?: string }[];
  const isMariaDb = /mariadb/i.test(versionRows[0]?.version ?? "");
  const timeoutMs = Math.max(1, Math.floor(statementTimeoutMs));
  const timeout = isMariaDb ? `max_statement_time = ${timeoutMs / 1000}` : `max_execution_time = ${timeoutMs}`;
  await run(connection, `SET SESSION time_zone = '+00:00', SESSION ${timeout}`);
  await run(connection, "SET SESSION TRANSACTION READ ONLY");
}

export function createMysqlAdapter(credentials: MysqlCredentials, policy: SourceTargetPolicy): SourceAdapter {
  const redactor = new SecretRedactor(secretsOf(credentials));
  const target = mysqlConnection(credentials);
  const open = new Set<Connection>();

  function release(connection: Connection): void {
    if (!open.delete(connection)) return;
    connection.destroy();
    // mysql2's destroy() only half-closes the socket. With the connection paused, the
    // server would then sit blocked writing the rest of the result until its
    // net_write_timeout; closing the socket makes its next write fail at once.
    (connection as unknown as { stream: Socket }).stream.destroy();
  }

  function toAppError(error: unknown, query: SourceQuery, phase: "connect" | "query"): unknown {
    if (isPassThrough(error, query.signal)) return error;
    if (query.signal?.aborted) return query.signal.reason;
    const { errno, code, fatal } = error as { errno?: number; code?: string; fatal?: boolean };
    if (phase === "connect" || fatal) return connectionFailed(error, redactor, "MYSQL");
    if (errno !== undefined && TIMEOUT_ERRNOS.has(errno)) return queryTimedOut(query.statementTimeoutMs, error, redactor);
    return queryFailed(error, redactor, code ? { sourceCode: code } : undefined);
  }

  async function connectTo(address: string): Promise<Connection> {
    const connection = createConnection(connectionOptions(target, address, credentials));
    // Errors of an idle connection would otherwise be thrown as uncaught exceptions.
    connection.on("error", () => undefined);
    open.add(connection);
    try {
      await new Promise<void>((resolve, reject) => connection.connect((error) => (error ? reject(error) : resolve())));
      return connection;
    } catch (error) {
      release(connection);
      throw error;
    }
  }

  async function connect(query: SourceQuery): Promise<Connection> {
    try {
      return await connectToFirst(await resolveDatabaseTarget(target, policy), connectTo);
    } catch (error) {
      throw toAppError(error, query, "connect");
    }
  }

  /**
   * Runs the statement and streams its result: the collector gathers rows into batches of its own
   * making (arrays of rows, or CSV chunks). The connection is paused while a full batch waits
   * for the consumer and destroyed once the row budget is read.
   */
  async function stream<Batch>(query: SourceQuery, typeCast: boolean, collector: (fields: FieldPacket[]) => Collector<Batch>): Promise<Streamed<Batch>> {
    query.signal?.throwIfAborted();
    const connection = await connect(query);
    const abort = () => release(connection);
    query.signal?.addEventListener("abort", abort, { once: true });
    const stopListening = () => query.signal?.removeEventListener("abort", abort);

    const budget = rowBudget(query);
    let collect: Collector<Batch> | undefined;
    let received = 0;
    let fields: FieldPacket[] | undefined;
    let finished = false;
    let failure: unknown;
    let wake: (() => void) | undefined;
    const notify = () => {
      const resume = wake;
      wake = undefined;
      resume?.();
    };
    const changed = () => new Promise<void>((resolve) => (wake = resolve));

    try {
      await startSession(connection, query.statementTimeoutMs);
      connection
        .query({ sql: query.sql, rowsAsArray: true, typeCast })
        .on("fields", (f: FieldPacket[]) => {
          fields = f;
          collect = collector(f);
          notify();
        })
        .on("result", (row: Row) => {
          collect!.add(row);
          received++;
          if (received >= budget) {
            // Enough rows: hold the rest back until the generator destroys the connection.
            finished = true;
            connection.pause();
          } else if (collect!.full) {
            connection.pause();
          }
          if (finished || collect!.full) notify();
        })
        .on("error", (error: unknown) => {
          failure = error;
          notify();
        })
        .on("end", () => {
          finished = true;
          notify();
        });
      while (!fields && !finished && failure === undefined) await changed();
      if (failure !== undefined) throw failure;
      if (!fields) {
        throw new AppError("QUERY_FAILED", "The statement returned no columns to export; a metric must be a SELECT.");
      }
    } catch (error) {
      stopListening();
      release(connection);
      throw toAppError(error, query, "query");
    }

    const resultFields = fields;
    const gathered = collect!;
    async function* batches(): AsyncGenerator<Batch> {
      try {
        for (;;) {
          while (!gathered.full && !finished && failure === undefined) await changed();
          if (failure !== undefined) throw toAppError(failure, query, "query");
          const batch = gathered.take();
          // Let the driver fill the next batch while this one is being written.
          if (!finished) connection.resume();
          if (batch !== undefined) yield batch;
          if (finished && gathered.empty) return;
        }
      } finally {
        stopListening();
        release(connection);
      }
    }
    return { fields: resultFields, batches: batches(), cancel: () => (stopListening(), release(connection)) };
  }

  async function queryRows(query: SourceQuery): Promise<QueryResult> {
    const batchSize = query.batchSize ?? DEFAULT_BATCH_SIZE;
    const { fields, batches } = await stream(query, true, (f) => rowCollector(f, batchSize));
    return { columns: columnsOf(fields), batches };
  }

  /**
   * The export's path: cells read as the raw text the server sent and written as CSV bytes
   * directly (mysql-csv-cells.ts), each the field the row path makes of the driver's value.
   * A result with a column type it has no byte form for is read again by the row path.
   */
  async function queryCsv(query: SourceQuery, rules: CsvRules): Promise<QueryResult | CsvRecordsResult> {
    let writers: CellWriter[] | null = null;
    const streamed = await stream(query, false, (fields) => {
      writers = mysqlCellWriters(fields, rules);
      // Without writers the result is cancelled at once and read again as rows.
      return csvCollector(writers ?? []);
    });
    if (!writers) {
      streamed.cancel();
      return await queryRows(query);
    }
    return { columns: columnsOf(streamed.fields), csvRecords: streamed.batches };
  }

  return {
    type: "MYSQL",
    query: queryRows,
    queryCsv,
    async test() {
      const result = await queryRows({ sql: "SELECT 1", maxRows: 1, statementTimeoutMs: CONNECT_TIMEOUT_MS });
      for await (const _ of result.batches) void _;
    },
    async close() {
      for (const connection of [...open]) release(connection);
    },
  };
}
