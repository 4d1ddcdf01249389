import { describe, expect, it } from "vitest";

import { CsvRecordChunks } from "./csv-record-chunks";
import { textField } from "./csv-field";

const awkward = [
  "", "plain", 'He said "hi"', "a,b", "line1\r\nline2", "cr\ronly", "lf\nonly", " lead", "trail ", "  both  ", "=1+1", "+1", "-5",
  "@SUM(A1)", "\tTabbed", "\rCR", "🎉 Grüße, 東京", '""', '"', "'quoted'", "é=", "=\"x\",y",
];

describe("CsvRecordChunks", () => {
  for (const neutralize of [true, false]) {
    it(`writes UTF-8 text as the field textField makes of the string (neutralize ${neutralize})`, () => {
      const chunks = new CsvRecordChunks();
      for (const text of awkward) {
        chunks.text(Buffer.from(text, "utf8"), neutralize);
        chunks.endRecord();
      }
      const chunk = chunks.take();
      expect(chunk.bytes.toString()).toBe(awkward.map((text) => textField(text, neutralize) + "\r\n").join(""));
      expect(chunk.records).toBe(awkward.length);
    });
  }

  it("separates fields with commas, writes NULL as an empty field, and ISO datetimes", () => {
    const chunks = new CsvRecordChunks();
    chunks.plain(Buffer.from("-12.50"));
    chunks.empty();
    chunks.isoDateTime(Buffer.from("2024-03-10 12:34:56.789123"), "Z", true);
    chunks.isoDateTime(Buffer.from("1999-12-31 23:59:59"), "", true);
    chunks.isoDateTime(Buffer.from("0000-00-00 00:00:00"), "Z", true);
    chunks.ascii("AP8Q");
    chunks.endRecord();
    expect(chunks.take()).toEqual({ bytes: Buffer.from("-12.50,,2024-03-10T12:34:56.789123Z,1999-12-31T23:59:59,0000-00-00 00:00:00,AP8Q\r\n"), records: 1 });
  });

  it("reports a full chunk and grows for a record larger than a chunk", () => {
    const chunks = new CsvRecordChunks(16);
    chunks.text(Buffer.from("x".repeat(100)), true);
    chunks.endRecord();
    expect(chunks.full).toBe(true);
    expect(chunks.take()).toEqual({ bytes: Buffer.from("x".repeat(100) + "\r\n"), records: 1 });
    expect(chunks.size).toBe(0);
    expect(chunks.full).toBe(false);
  });
});
