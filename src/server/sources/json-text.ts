/**
 * Builds JSON text for nested values (Postgres arrays, BigQuery records) whose numbers
 * arrive as digit strings. JSON.stringify would have to quote them, or go through Number
 * and lose precision; here they are written unquoted with every digit kept.
 */

/** A number exactly as the database printed it. */
export class JsonNumber {
  constructor(readonly digits: string) {}
}

/** Text that is already JSON, e.g. a json element of a Postgres array. */
export class RawJson {
  constructor(readonly text: string) {}
}

const JSON_NUMBER = /^-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?$/;

export function toJsonText(value: unknown): string {
  if (value === null || value === undefined) return "null";
  if (value instanceof JsonNumber) {
    // NaN and Infinity have no JSON form; a string keeps them readable.
    return JSON_NUMBER.test(value.digits) ? value.digits : JSON.stringify(value.digits);
  }
  if (value instanceof RawJson) return value.text;
  if (Array.isArray(value)) return "[" + value.map(toJsonText).join(",") + "]";
  if (value instanceof Uint8Array) return JSON.stringify(Buffer.from(value).toString("base64"));
  if (typeof value === "object" && !(value instanceof Date)) {
    const members = Object.entries(value).map(([key, member]) => JSON.stringify(key) + ":" + toJsonText(member));
    return "{" + members.join(",") + "}";
  }
  return JSON.stringify(value);
}
