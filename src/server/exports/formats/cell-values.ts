/**
 * The typed formats' reading of a cell. Adapters hand values over as the CSV writer wants
 * them: exact digit strings for numbers, ISO 8601 text for dates and timestamps, JSON text for
 * json and arrays, a Buffer for binary (see sources/). These turn them into what XLSX,
 * Parquet and JSON Lines store, and throw a CellValueError, which the row loop turns into the
 * job's failure with the row and column named, for a value the format has no form for.
 */
export class CellValueError extends Error {
  constructor(reason: string) {
    super(reason);
    this.name = "CellValueError";
  }
}

const DIGITS = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;
const PLAIN_DECIMAL = /^([+-]?)(\d*)(?:\.(\d*))?$/;
const TIMESTAMP = /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?(Z|[+-]00(?::?00)?)?$/;
const DATE = /^(\d{4})-(\d{2})-(\d{2})/;
const DAY_MS = 86_400_000;

/** A number's exact digits, whatever the adapter handed over. */
export function numberText(value: unknown): string {
  if (typeof value === "string") return value;
  if (typeof value === "number" || typeof value === "bigint") return String(value);
  throw new CellValueError(`a ${typeof value} where a number was expected`);
}

export function toDouble(value: unknown): number {
  if (typeof value === "number") return value;
  const text = numberText(value);
  // Postgres prints float8's specials by name.
  if (text === "NaN") return NaN;
  if (text === "Infinity") return Infinity;
  if (text === "-Infinity") return -Infinity;
  if (!DIGITS.test(text)) throw new CellValueError(`"${text.slice(0, 40)}" is not a number`);
  return Number(text);
}

export function toInt32(value: unknown): number {
  const n = toDouble(value);
  if (!Number.isInteger(n) || n < -2_147_483_648 || n > 2_147_483_647) throw new CellValueError(`${n} is not a 32-bit integer`);
  return n;
}

export function toInt64(value: unknown): bigint {
  if (typeof value === "bigint") return checkedInt64(value);
  const text = numberText(value);
  if (!/^[+-]?\d+$/.test(text)) throw new CellValueError(`"${text.slice(0, 40)}" is not an integer`);
  return checkedInt64(BigInt(text));
}

function checkedInt64(n: bigint): bigint {
  if (n < -(2n ** 63n) || n >= 2n ** 63n) throw new CellValueError(`${n} does not fit a 64-bit integer`);
  return n;
}

/** How many significant digits a number's text has: what decides whether Excel keeps it. */
export function significantDigits(text: string): number {
  const match = PLAIN_DECIMAL.exec(text);
  if (!match) return Infinity;
  const digits = ((match[2] ?? "") + (match[3] ?? "")).replace(/^0+/, "");
  return digits.replace(/0+$/, "").length;
}

/** The unscaled integer of decimal(precision, scale): "-12.5" at scale 2 is -1250. */
export function unscaledDecimal(value: unknown, precision: number, scale: number): bigint {
  const text = numberText(value);
  const match = PLAIN_DECIMAL.exec(text);
  if (!match || (match[2] === "" && (match[3] ?? "") === "")) throw new CellValueError(`"${text.slice(0, 40)}" is not a decimal number`);
  const [, sign, whole = "", fraction = ""] = match;
  if (fraction.length > scale && /[1-9]/.test(fraction.slice(scale))) {
    throw new CellValueError(`${text} has more than the ${scale} decimal places of decimal(${precision},${scale})`);
  }
  const unscaled = BigInt((whole || "0") + fraction.slice(0, scale).padEnd(scale, "0"));
  if (unscaled >= 10n ** BigInt(precision)) throw new CellValueError(`${text} does not fit decimal(${precision},${scale})`);
  return sign === "-" ? -unscaled : unscaled;
}

/** A timestamp as microseconds since the epoch (UTC, or the wall clock for one without zone). */
export function timestampMicros(value: unknown): bigint {
  if (value instanceof Date) {
    const ms = value.getTime();
    if (Number.isNaN(ms)) throw new CellValueError("an invalid date");
    return BigInt(ms) * 1000n;
  }
  if (typeof value !== "string") throw new CellValueError(`a ${typeof value} where a timestamp was expected`);
  const match = TIMESTAMP.exec(value);
  // infinity, BC dates and other zones have no form in the typed formats.
  if (!match) throw new CellValueError(`"${value.slice(0, 40)}" is not a timestamp the format can store`);
  const [, y, mo, d, h, mi, s, fraction = ""] = match;
  const ms = Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(s));
  return BigInt(ms) * 1000n + BigInt(fraction.slice(0, 6).padEnd(6, "0"));
}

/** ISO 8601 with microseconds, "Z" for an instant, none for a wall-clock time. */
export function isoMicros(value: unknown, utc: boolean): string {
  const micros = timestampMicros(value);
  const ms = micros / 1000n - (micros % 1000n < 0n ? 1n : 0n);
  const iso = new Date(Number(ms)).toISOString();
  const sub = ((micros % 1000n) + 1000n) % 1000n;
  return iso.slice(0, 23) + String(sub).padStart(3, "0") + (utc ? "Z" : "");
}

/** A timestamp as a Date at its UTC (or wall-clock) instant, to the millisecond. */
export function timestampDate(value: unknown): Date {
  const micros = timestampMicros(value);
  return new Date(Number(micros / 1000n - (micros % 1000n < 0n ? 1n : 0n)));
}

/** Days since 1970-01-01. */
export function dateDays(value: unknown): number {
  if (value instanceof Date) return Math.floor(value.getTime() / DAY_MS);
  const match = typeof value === "string" ? DATE.exec(value) : null;
  if (!match || (typeof value === "string" && value.length !== 10)) {
    throw new CellValueError(`"${String(value).slice(0, 40)}" is not a date the format can store`);
  }
  return Date.UTC(Number(match[1]), Number(match[2]) - 1, Number(match[3])) / DAY_MS;
}

export function dateText(value: unknown): string {
  return new Date(dateDays(value) * DAY_MS).toISOString().slice(0, 10);
}

export function toBoolean(value: unknown): boolean {
  if (typeof value === "boolean") return value;
  if (value === "true" || value === 1) return true;
  if (value === "false" || value === 0) return false;
  throw new CellValueError(`"${String(value).slice(0, 40)}" is not a boolean`);
}

export function toBytes(value: unknown): Uint8Array {
  if (value instanceof Uint8Array) return value;
  if (typeof value === "string") return Buffer.from(value, "utf8");
  throw new CellValueError(`a ${typeof value} where bytes were expected`);
}

export function base64(value: unknown): string {
  const bytes = toBytes(value);
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("base64");
}

/** A json or array cell's JSON text: adapters send text; a kind may hand over an object. */
export function jsonSource(value: unknown): string {
  if (typeof value === "string") return value;
  return JSON.stringify(value, (_key, v: unknown) => (typeof v === "bigint" ? v.toString() : v));
}

/**
 * JSON text on one line: the whitespace between tokens goes (a JSON Lines record may hold no
 * line break), strings and numbers stay exactly as written, so no digit is lost.
 */
export function compactJson(text: string): string {
  let out = "";
  let from = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c) i++;
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) {
      inString = true;
    } else if (c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09) {
      out += text.slice(from, i);
      from = i + 1;
    }
  }
  return from === 0 ? text : out + text.slice(from);
}

export function plainText(value: unknown): string {
  if (typeof value === "string") return value;
  if (value instanceof Date) return value.toISOString();
  if (value instanceof Uint8Array) return base64(value);
  if (typeof value === "object" && value !== null) return jsonSource(value);
  return String(value);
}
