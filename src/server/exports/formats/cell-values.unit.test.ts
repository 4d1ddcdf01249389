import { describe, expect, it } from "vitest";

import { CellValueError, compactJson, isoMicros, significantDigits, timestampMicros, unscaledDecimal } from "./cell-values";

describe("cell values of the typed formats", () => {
  it("reads a decimal's exact unscaled digits, and refuses one that does not fit", () => {
    expect(unscaledDecimal("12345678901234567890.123456789", 38, 10)).toBe(123456789012345678901234567890n);
    expect(unscaledDecimal("-12.5", 5, 2)).toBe(-1250n);
    expect(unscaledDecimal("0.010", 4, 2)).toBe(1n);
    expect(() => unscaledDecimal("1000", 3, 0)).toThrow(CellValueError);
    expect(() => unscaledDecimal("1.005", 4, 2)).toThrow(/more than the 2 decimal places/);
    expect(() => unscaledDecimal("NaN", 10, 2)).toThrow(CellValueError);
  });

  it("counts significant digits as Excel keeps them", () => {
    expect(significantDigits("-12.5000000000")).toBe(3);
    expect(significantDigits("0.000123")).toBe(3);
    expect(significantDigits("9223372036854775807")).toBe(19);
    expect(significantDigits("123456789012345")).toBe(15);
  });

  it("keeps microseconds, before the epoch too", () => {
    expect(timestampMicros("1969-12-31T23:59:59.999999Z")).toBe(-1n);
    expect(isoMicros("1969-12-31T23:59:59.999999Z", true)).toBe("1969-12-31T23:59:59.999999Z");
    expect(isoMicros("2024-03-10T12:34:56.7", false)).toBe("2024-03-10T12:34:56.700000");
    expect(isoMicros(new Date("2024-03-10T07:04:56.789Z"), true)).toBe("2024-03-10T07:04:56.789000Z");
    expect(() => timestampMicros("infinity")).toThrow(CellValueError);
  });

  it("puts JSON on one line without touching strings or digits", () => {
    expect(compactJson('{\n  "a b": "x\\n\\"y z\\"",\n  "n": 12345678901234567890123\n}')).toBe('{"a b":"x\\n\\"y z\\"","n":12345678901234567890123}');
  });
});
