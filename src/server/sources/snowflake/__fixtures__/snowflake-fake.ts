/**
 * A local HTTP fake of the parts of Snowflake's REST protocol that snowflake-sdk uses to
 * run one query: login, query-request (JSON result format, first rows inline and the rest
 * as chunks to download), chunk download, session delete and in-band telemetry. The real
 * SDK talks to it through the `accessUrl` option, so the adapter's tests exercise the
 * SDK's own login, request, chunk and value-conversion code.
 *
 * Values are encoded the way Snowflake's JSON result format does: every value a string,
 * DATE as days since the epoch, TIMESTAMP_* as epoch seconds with a fraction (TZ adds the
 * offset in minutes + 1440), BINARY as hex, VARIANT as JSON text.
 *
 * Test support only: nothing in the app imports it.
 */
import { randomUUID } from "node:crypto";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import { type AddressInfo } from "node:net";
import { gunzipSync } from "node:zlib";

export interface SnowflakeFakeColumn {
  name: string;
  type: "fixed" | "real" | "text" | "boolean" | "date" | "time" | "timestamp_ntz" | "timestamp_ltz" | "timestamp_tz" | "variant" | "binary";
  scale?: number;
  precision?: number;
}

export interface SnowflakeFakeTable {
  columns: SnowflakeFakeColumn[];
  /** Rows in the wire encoding described above. */
  rows: (string | null)[][];
}

export interface SnowflakeFakeOptions {
  username: string;
  password: string;
  /** `SELECT * FROM <name>` returns the table. */
  tables: Record<string, SnowflakeFakeTable>;
  /** Rows sent inline with the query response and per downloaded chunk. */
  chunkRows?: number;
}

export interface SnowflakeFake {
  url: string;
  /** Every SQL text the fake was asked to run, in order. */
  statements: string[];
  /** Session parameters set through ALTER SESSION. */
  sessionParameters: Map<string, string>;
  /** How many result chunks were downloaded. */
  chunkDownloads: number;
  sessionsOpen: number;
  close(): Promise<void>;
}

const defaultParameters = [
  { name: "TIMEZONE", value: "America/Los_Angeles" },
  { name: "TIMESTAMP_OUTPUT_FORMAT", value: "YYYY-MM-DD HH24:MI:SS.FF3 TZHTZM" },
  { name: "TIMESTAMP_NTZ_OUTPUT_FORMAT", value: "YYYY-MM-DD HH24:MI:SS.FF3" },
  { name: "TIMESTAMP_LTZ_OUTPUT_FORMAT", value: "" },
  { name: "TIMESTAMP_TZ_OUTPUT_FORMAT", value: "" },
  { name: "DATE_OUTPUT_FORMAT", value: "YYYY-MM-DD" },
  { name: "TIME_OUTPUT_FORMAT", value: "HH24:MI:SS" },
  { name: "BINARY_OUTPUT_FORMAT", value: "HEX" },
  { name: "CLIENT_RESULT_CHUNK_SIZE", value: 160 },
];

function readBody(request: IncomingMessage): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const parts: Buffer[] = [];
    request.on("data", (part: Buffer) => parts.push(part));
    request.on("error", reject);
    request.on("end", () => {
      let body = Buffer.concat(parts);
      if (body.length === 0) return resolve({});
      // The SDK gzips request bodies when its compression wins the race against the send.
      if (body[0] === 0x1f && body[1] === 0x8b) body = gunzipSync(body);
      resolve(JSON.parse(body.toString("utf8")) as unknown);
    });
  });
}

function sendJson(response: ServerResponse, body: unknown): void {
  response.writeHead(200, { "content-type": "application/json" });
  response.end(JSON.stringify(body));
}

function failure(code: string, message: string, sqlState?: string) {
  return { success: false, code, message, data: { queryId: randomUUID(), sqlState, errorCode: code } };
}

function rowtype(columns: SnowflakeFakeColumn[]) {
  return columns.map((c) => ({
    name: c.name,
    type: c.type,
    scale: c.scale ?? (c.type.startsWith("timestamp") || c.type === "time" ? 9 : 0),
    precision: c.precision ?? (c.type === "fixed" ? 38 : 0),
    nullable: true,
    length: c.type === "text" ? 16_777_216 : null,
    byteLength: c.type === "text" ? 16_777_216 : null,
    collation: null,
    database: "FAKE_DB",
    schema: "PUBLIC",
    table: "",
  }));
}

export async function startSnowflakeFake(options: SnowflakeFakeOptions): Promise<SnowflakeFake> {
  const chunkRows = options.chunkRows ?? 100;
  const sessionToken = `session-${randomUUID()}`;
  const chunks = new Map<string, (string | null)[][]>();
  let baseUrl = "";

  const fake: SnowflakeFake = {
    url: "",
    statements: [],
    sessionParameters: new Map(),
    chunkDownloads: 0,
    sessionsOpen: 0,
    close: () => Promise.resolve(),
  };

  function result(columns: SnowflakeFakeColumn[], rows: (string | null)[][], statementTypeId = 0x1000) {
    const queryId = randomUUID();
    const rest = rows.slice(chunkRows);
    const chunkList = [];
    for (let i = 0; i < rest.length; i += chunkRows) {
      const id = `${queryId}-${i / chunkRows}`;
      const chunk = rest.slice(i, i + chunkRows);
      chunks.set(id, chunk);
      chunkList.push({ url: `${baseUrl}/chunks/${id}`, rowCount: chunk.length, uncompressedSize: 1000, compressedSize: 100 });
    }
    return {
      success: true,
      code: null,
      message: null,
      data: {
        parameters: defaultParameters,
        rowtype: rowtype(columns),
        rowset: rows.slice(0, chunkRows),
        total: rows.length,
        returned: rows.length,
        queryId,
        statementTypeId,
        version: 1,
        queryResultFormat: "json",
        chunks: chunkList.length > 0 ? chunkList : undefined,
        chunkHeaders: chunkList.length > 0 ? { "x-fake-chunk": "1" } : undefined,
        finalDatabaseName: "FAKE_DB",
        finalSchemaName: "PUBLIC",
        finalWarehouseName: "FAKE_WH",
        finalRoleName: "READER",
      },
    };
  }

  function runQuery(sqlText: string) {
    const sql = sqlText.trim().replace(/;$/, "");
    fake.statements.push(sql);
    const alter = /^ALTER SESSION SET (.+)$/is.exec(sql);
    if (alter?.[1]) {
      for (const [, name, value] of alter[1].matchAll(/(\w+)\s*=\s*('[^']*'|\S+)/g)) {
        if (name && value) fake.sessionParameters.set(name.toUpperCase(), value);
      }
      return result([{ name: "status", type: "text" }], [["Statement executed successfully."]], 0x5000);
    }
    if (/^SELECT 1$/i.test(sql)) return result([{ name: "1", type: "fixed" }], [["1"]]);
    const cast = /^SELECT '(.*)'::INT$/is.exec(sql);
    if (cast) return failure("100038", `Numeric value '${cast[1]}' is not recognized`, "22018");
    if (/SYSTEM\$WAIT/i.test(sql)) {
      const timeout = fake.sessionParameters.get("STATEMENT_TIMEOUT_IN_SECONDS") ?? "0";
      return failure("000630", `Statement reached its statement or warehouse timeout of ${timeout} second(s) and was canceled.`, "57014");
    }
    if (/^(INSERT|UPDATE|DELETE|CREATE|DROP)\b/i.test(sql)) {
      return failure("003001", "SQL access control error:\nInsufficient privileges to operate on table 'EVENTS'", "42501");
    }
    const from = /^SELECT \* FROM (\w+)$/i.exec(sql);
    const table = from?.[1] ? options.tables[from[1].toUpperCase()] : undefined;
    if (!table) {
      const name = from?.[1]?.toUpperCase() ?? "UNKNOWN";
      return failure("002003", `SQL compilation error:\nObject '${name}' does not exist or not authorized.`, "02000");
    }
    return result(table.columns, table.rows);
  }

  async function handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const url = new URL(request.url ?? "/", baseUrl);
    const authorized = request.headers.authorization === `Snowflake Token="${sessionToken}"`;

    if (request.method === "POST" && url.pathname === "/session/v1/login-request") {
      const body = (await readBody(request)) as { data?: { LOGIN_NAME?: string; PASSWORD?: string } };
      if (body.data?.LOGIN_NAME !== options.username || body.data?.PASSWORD !== options.password) {
        return sendJson(response, failure("390100", "Incorrect username or password was specified."));
      }
      fake.sessionsOpen++;
      return sendJson(response, {
        success: true,
        code: null,
        message: null,
        data: {
          token: sessionToken,
          masterToken: `master-${randomUUID()}`,
          validityInSeconds: 3600,
          masterValidityInSeconds: 14_400,
          sessionId: Date.now(),
          parameters: defaultParameters,
          sessionInfo: { databaseName: "FAKE_DB", schemaName: "PUBLIC", warehouseName: "FAKE_WH", roleName: "READER" },
        },
      });
    }
    if (request.method === "GET" && url.pathname.startsWith("/chunks/")) {
      const chunk = chunks.get(url.pathname.slice("/chunks/".length));
      if (!chunk || request.headers["x-fake-chunk"] !== "1") {
        response.writeHead(404, { "content-type": "text/plain" }).end("no such chunk");
        return;
      }
      fake.chunkDownloads++;
      response.writeHead(200, { "content-type": "text/plain" });
      // A chunk is the rows without the enclosing brackets.
      response.end(chunk.map((row) => JSON.stringify(row)).join(","));
      return;
    }
    if (!authorized) {
      response.writeHead(401, { "content-type": "application/json" });
      response.end(JSON.stringify({ success: false, code: "390101", message: "Authentication token has expired." }));
      return;
    }
    if (request.method === "POST" && url.pathname === "/queries/v1/query-request") {
      const body = (await readBody(request)) as { sqlText?: string };
      return sendJson(response, runQuery(body.sqlText ?? ""));
    }
    if (request.method === "POST" && url.pathname === "/session" && url.searchParams.get("delete") === "true") {
      fake.sessionsOpen--;
      return sendJson(response, { success: true, code: null, message: null, data: null });
    }
    // In-band telemetry and anything else the SDK sends on the side.
    await readBody(request).catch(() => undefined);
    return sendJson(response, { success: true, code: null, message: null, data: null });
  }

  const server = createServer((request, response) => {
    handle(request, response).catch((error: unknown) => {
      response.writeHead(500, { "content-type": "text/plain" }).end(String(error));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  fake.url = baseUrl;
  fake.close = () =>
    new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    });
  return fake;
}
