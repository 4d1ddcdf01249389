import { parse } from "csv-parse/sync";
import { describe, expect, it } from "vitest";

import { AppError } from "~/server/errors";

import { type CsvColumn } from "./column-types";
import { type CsvRecordChunk, CsvWriter, type CsvWriterOptions, type RowBatches } from "./csv-writer";

async function collect(columns: CsvColumn[], batches: RowBatches, options?: CsvWriterOptions) {
  const writer = new CsvWriter(columns, options);
  const chunks: Buffer[] = [];
  for await (const chunk of writer.encode(batches)) chunks.push(chunk);
  const buffer = Buffer.concat(chunks);
  return { writer, chunks, buffer, text: buffer.toString("utf8") };
}

function parseCsv(text: string): string[][] {
  return parse(text, { bom: true, relax_column_count: false }) as string[][];
}

async function* asyncBatches(rows: unknown[][], size: number) {
  for (let i = 0; i < rows.length; i += size) yield rows.slice(i, i + size);
}

describe("CsvWriter", () => {
  it("round-trips awkward text through a real CSV parser", async () => {
    const values = [
      'say "hi"',
      "a,b,c",
      "line1\r\nline2",
      "only\nLF",
      "only\rCR",
      "  padded  ",
      "Grüße, 東京 👩‍💻🎉",
      '"',
      "",
      "plain",
    ];
    const { text } = await collect(
      [{ name: "value", type: "text" }],
      [values.map((v) => [v])],
    );
    expect(text.startsWith("value\r\n")).toBe(true);
    expect(text.endsWith("\r\n")).toBe(true);
    const parsed = parseCsv(text);
    expect(parsed).toEqual([["value"], ...values.map((v) => [v])]);
  });

  it("writes NULL as an empty field and formats each value type exactly", async () => {
    const columns: CsvColumn[] = [
      { name: "null", type: "text" },
      { name: "undefined", type: "unknown" },
      { name: "date", type: "date" },
      { name: "json", type: "json" },
      { name: "array", type: "json" },
      { name: "bigint", type: "bigint" },
      { name: "big_js_bigint", type: "bigint" },
      { name: "numeric", type: "decimal" },
      { name: "float", type: "number" },
      { name: "bool_true", type: "boolean" },
      { name: "bool_false", type: "boolean" },
      { name: "binary", type: "binary" },
      { name: "timestamp_string", type: "date" },
    ];
    const row = [
      null,
      undefined,
      new Date(Date.UTC(2024, 0, 2, 3, 4, 5, 678)),
      { a: 1, b: "x,\"y\"", nested: { emoji: "🎉" } },
      [1, "two", null],
      "-9223372036854775808",
      12345678901234567890n,
      "12345678901234567890.123456789",
      -0.5,
      true,
      false,
      Buffer.from([0, 1, 2, 250, 255]),
      "2024-01-02T03:04:05.123456Z",
    ];
    const { text } = await collect(columns, [[row]]);
    const [header, cells] = parseCsv(text);
    expect(header).toEqual(columns.map((c) => c.name));
    expect(cells).toEqual([
      "",
      "",
      "2024-01-02T03:04:05.678Z",
      '{"a":1,"b":"x,\\"y\\"","nested":{"emoji":"🎉"}}',
      '[1,"two",null]',
      "-9223372036854775808",
      "12345678901234567890",
      "12345678901234567890.123456789",
      "-0.5",
      "true",
      "false",
      Buffer.from([0, 1, 2, 250, 255]).toString("base64"),
      "2024-01-02T03:04:05.123456Z",
    ]);
    expect(JSON.parse(cells![3]!)).toEqual(row[3]);
  });

  it("neutralises text cells that start like a formula, and leaves numbers alone", async () => {
    const columns: CsvColumn[] = [
      { name: "text", type: "text" },
      { name: "amount", type: "decimal" },
      { name: "count", type: "number" },
    ];
    const rows = [
      ["=HYPERLINK(\"http://evil\")", "-12.5", -3],
      ["+1", "+1.0", 1],
      ["-5", "-5", -5],
      ["@SUM(A1)", "0", 0],
      ["\tcmd", "1", 1],
      ["\rcmd", "1", 1],
      ["safe", "1", 1],
      [-7, "1", 1],
    ];
    const { text } = await collect(columns, [rows]);
    const parsed = parseCsv(text).slice(1);
    expect(parsed.map((r) => r[0])).toEqual([
      "'=HYPERLINK(\"http://evil\")",
      "'+1",
      "'-5",
      "'@SUM(A1)",
      "'\tcmd",
      "'\rcmd",
      "safe",
      "-7",
    ]);
    expect(parsed.map((r) => r[1])).toEqual(["-12.5", "+1.0", "-5", "0", "1", "1", "1", "1"]);
    expect(parsed.map((r) => r[2])).toEqual(["-3", "1", "-5", "0", "1", "1", "1", "1"]);
  });

  it("neutralises a header that starts like a formula", async () => {
    const { text } = await collect([{ name: "=cmd", type: "number" }], [[[1]]]);
    expect(parseCsv(text)[0]).toEqual(["'=cmd"]);
  });

  it("leaves formulas as they are when neutralisation is off", async () => {
    const { text } = await collect(
      [{ name: "text", type: "text" }],
      [[["=1+1"], ["-5"], ["@x"]]],
      { neutralizeFormulas: false },
    );
    expect(parseCsv(text).slice(1)).toEqual([["=1+1"], ["-5"], ["@x"]]);
  });

  it("adds a UTF-8 BOM only when asked", async () => {
    const withBom = await collect([{ name: "a", type: "text" }], [[["x"]]], { bom: true });
    expect([...withBom.buffer.subarray(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
    expect(parseCsv(withBom.text)).toEqual([["a"], ["x"]]);
    expect(withBom.writer.result.bytes).toBe(withBom.buffer.length);

    const withoutBom = await collect([{ name: "a", type: "text" }], [[["x"]]]);
    expect(withoutBom.buffer.subarray(0, 1).toString()).toBe("a");
  });

  it("writes a header only for an empty result", async () => {
    const { text, writer } = await collect([{ name: "a", type: "text" }, { name: "b", type: "number" }], []);
    expect(text).toBe("a,b\r\n");
    expect(writer.result).toEqual({ rows: 0, bytes: 5, truncated: false });
  });

  it("streams in chunks of about the chunk size, counting real bytes and reporting progress", async () => {
    const rows = Array.from({ length: 20_000 }, (_, i) => [i, `name ${i} 🎉`, i % 2 === 0]);
    const progress: { rows: number; bytes: number }[] = [];
    const { chunks, buffer, writer } = await collect(
      [
        { name: "id", type: "number" },
        { name: "name", type: "text" },
        { name: "even", type: "boolean" },
      ],
      asyncBatches(rows, 1000),
      { chunkSize: 16 * 1024, onProgress: (p) => progress.push(p) },
    );
    expect(chunks.length).toBeGreaterThan(5);
    for (const chunk of chunks.slice(0, -1)) {
      expect(chunk.length).toBeGreaterThanOrEqual(16 * 1024);
      expect(chunk.length).toBeLessThan(20 * 1024);
    }
    expect(writer.result).toEqual({ rows: 20_000, bytes: buffer.length, truncated: false });
    expect(progress.at(-1)).toEqual({ rows: 20_000, bytes: buffer.length });
    expect(progress.map((p) => p.bytes)).toEqual([...progress.map((p) => p.bytes)].sort((a, b) => a - b));
    const parsed = parseCsv(buffer.toString("utf8"));
    expect(parsed).toHaveLength(20_001);
    expect(parsed[12_346]).toEqual(["12345", "name 12345 🎉", "false"]);
  });

  it("fails with FILE_TOO_LARGE as soon as the size cap is crossed, never producing more than the cap", async () => {
    const maxBytes = 100_000;
    const chunkSize = 8 * 1024;
    let rowsPulled = 0;
    async function* endless() {
      for (;;) {
        const batch = Array.from({ length: 100 }, (_, i) => [i, "x".repeat(50)]);
        rowsPulled += batch.length;
        yield batch;
      }
    }
    const writer = new CsvWriter(
      [
        { name: "id", type: "number" },
        { name: "filler", type: "text" },
      ],
      { maxBytes, chunkSize },
    );
    let produced = 0;
    let error: unknown;
    try {
      for await (const chunk of writer.encode(endless())) produced += chunk.length;
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(AppError);
    expect((error as AppError).code).toBe("FILE_TOO_LARGE");
    expect((error as AppError).message).toContain("100000 bytes");
    expect(produced).toBeLessThanOrEqual(maxBytes);
    expect(produced).toBeGreaterThan(maxBytes - chunkSize - 200);
    expect(writer.result.bytes).toBe(produced);
    // It stopped pulling rows right after the chunk that crossed the cap.
    expect(rowsPulled * 56).toBeLessThan(maxBytes + chunkSize + 100 * 60);
  });

  it("names the default limit in megabytes", async () => {
    const writer = new CsvWriter([{ name: "a", type: "text" }], { maxBytes: 2 * 1024 * 1024, chunkSize: 1024 });
    const big = "y".repeat(1024 * 1024);
    await expect(async () => {
      for await (const _ of writer.encode([[[big], [big], [big]]])) void _;
    }).rejects.toThrow("2 MB limit");
  });

  it("stops after maxRows, reports truncated, and stops reading the source", async () => {
    let closed = false;
    let pulledBatches = 0;
    async function* source() {
      try {
        for (let b = 0; ; b++) {
          pulledBatches++;
          yield Array.from({ length: 10 }, (_, i) => [b * 10 + i]);
        }
      } finally {
        closed = true;
      }
    }
    const { text, writer } = await collect([{ name: "n", type: "number" }], source(), { maxRows: 25 });
    expect(writer.result).toMatchObject({ rows: 25, truncated: true });
    expect(parseCsv(text)).toHaveLength(26);
    expect(parseCsv(text).at(-1)).toEqual(["24"]);
    expect(pulledBatches).toBe(3);
    expect(closed).toBe(true);
  });

  it("is not truncated when the source has exactly maxRows rows", async () => {
    const { writer } = await collect([{ name: "n", type: "number" }], [[[1], [2], [3]]], { maxRows: 3 });
    expect(writer.result).toMatchObject({ rows: 3, truncated: false });
  });

  it("works as a Node Readable", async () => {
    const writer = new CsvWriter([{ name: "n", type: "number" }]);
    const chunks: Buffer[] = [];
    for await (const chunk of writer.stream([[[1], [2]]])) chunks.push(chunk as Buffer);
    expect(Buffer.concat(chunks).toString()).toBe("n\r\n1\r\n2\r\n");
    expect(writer.result.rows).toBe(2);
  });
});

describe("CsvWriter with records a source encoded", () => {
  const columns: CsvColumn[] = [
    { name: "id", type: "number" },
    { name: "note", type: "text" },
  ];
  // Whole records as the sources hand them over: CRLF row ends, LF and CR kept inside quotes.
  const records = ['1,"two\nlines"\r\n', '2,"say ""hi"", then\r\nleave"\r\n', "3,\r\n"];
  const chunkOf = (...lines: string[]) => ({ bytes: Buffer.from(lines.join("")), records: lines.length });

  async function collectRecords(chunks: Iterable<CsvRecordChunk> | AsyncIterable<CsvRecordChunk>, options?: CsvWriterOptions) {
    const writer = new CsvWriter(columns, options);
    async function* source() {
      yield* chunks;
    }
    const out: Buffer[] = [];
    for await (const chunk of writer.encodeRecords(source())) out.push(chunk);
    return { writer, text: Buffer.concat(out).toString("utf8") };
  }

  it("writes the header, then the records as they came, counting them", async () => {
    const expected = "id,note\r\n" + records.join("");
    const { text, writer } = await collectRecords([chunkOf(records[0]!, records[1]!), chunkOf(), chunkOf(records[2]!)]);
    expect(text).toBe(expected);
    expect(writer.result).toEqual({ rows: 3, bytes: Buffer.byteLength(expected), truncated: false });
    expect(parseCsv(expected)).toEqual([["id", "note"], ["1", "two\nlines"], ["2", 'say "hi", then\r\nleave'], ["3", ""]]);
  });

  it("starts with the BOM when asked, and writes only the header for no records", async () => {
    expect((await collectRecords([], { bom: true })).text).toBe("\uFEFFid,note\r\n");
  });

  it("cuts at maxRows, within a chunk (past line breaks in quotes) or at a chunk's end, says truncated, and stops reading", async () => {
    const withinChunk = await collectRecords([chunkOf(...records)], { maxRows: 2 });
    expect(withinChunk.text).toBe("id,note\r\n" + records[0] + records[1]);
    expect(withinChunk.writer.result).toMatchObject({ rows: 2, truncated: true });

    let pulled = 0;
    let closed = false;
    async function* perRecord() {
      try {
        for (const line of ["1,a\r\n", "2,b\r\n", "3,c\r\n", "4,d\r\n"]) {
          pulled++;
          yield chunkOf(line);
        }
      } finally {
        closed = true;
      }
    }
    const atChunkEnd = await collectRecords(perRecord(), { maxRows: 2 });
    expect(atChunkEnd.text).toBe("id,note\r\n1,a\r\n2,b\r\n");
    expect(atChunkEnd.writer.result).toMatchObject({ rows: 2, truncated: true });
    expect(pulled).toBe(3);
    expect(closed).toBe(true);
  });

  it("is not truncated with exactly maxRows records", async () => {
    const { writer } = await collectRecords([chunkOf(...records)], { maxRows: 3 });
    expect(writer.result).toMatchObject({ rows: 3, truncated: false });
  });

  it("fails with FILE_TOO_LARGE once the size cap is crossed, counting only the rows before it", async () => {
    const line = `1,${"x".repeat(48)}\r\n`;
    async function* endless() {
      for (;;) yield chunkOf(...Array<string>(100).fill(line));
    }
    const writer = new CsvWriter(columns, { maxBytes: 100_000 });
    let produced = 0;
    const error = await (async () => {
      try {
        for await (const chunk of writer.encodeRecords(endless())) produced += chunk.length;
      } catch (e) {
        return e;
      }
    })();
    expect(error).toBeInstanceOf(AppError);
    expect((error as AppError).code).toBe("FILE_TOO_LARGE");
    expect(produced).toBeLessThanOrEqual(100_000);
    expect(writer.result.bytes).toBe(produced);
    expect(writer.result.rows).toBe((produced - "id,note\r\n".length) / line.length);
  });
});
