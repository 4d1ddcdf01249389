/**
 * Encodes one value as one RFC 4180 field. Called for every cell of every export, so the
 * string path is a single character scan rather than a regular expression per cell.
 */

const TAB = 9;
const LF = 10;
const CR = 13;
const SPACE = 32;
const QUOTE = 34;
const PLUS = 43;
const COMMA = 44;
const MINUS = 45;
const EQUALS = 61;
const AT = 64;

/** OWASP "CSV injection": spreadsheets evaluate a cell that starts with one of these. */
export function startsLikeFormula(firstChar: number): boolean {
  return (
    firstChar === EQUALS ||
    firstChar === PLUS ||
    firstChar === MINUS ||
    firstChar === AT ||
    firstChar === TAB ||
    firstChar === CR
  );
}

/**
 * A string as a field: prefixed with `'` when `neutralize` is set and it starts like a
 * formula, and quoted when it holds a quote, comma, CR or LF, or starts or ends with a space
 * (which some readers would otherwise trim).
 */
export function textField(text: string, neutralize: boolean): string {
  const length = text.length;
  if (length === 0) return text;
  const first = text.charCodeAt(0);
  let mustQuote = first === SPACE || text.charCodeAt(length - 1) === SPACE;
  let hasQuote = false;
  for (let i = 0; i < length; i++) {
    const c = text.charCodeAt(i);
    // Every character that matters is at or below the comma, so most characters cost one
    // comparison.
    if (c > COMMA) continue;
    if (c === QUOTE) {
      hasQuote = true;
      break;
    }
    if (c === COMMA || c === LF || c === CR) mustQuote = true;
  }
  let body = neutralize && startsLikeFormula(first) ? "'" + text : text;
  if (hasQuote) body = '"' + body.replaceAll('"', '""') + '"';
  else if (mustQuote) body = '"' + body + '"';
  return body;
}

function jsonText(value: object): string {
  try {
    return JSON.stringify(value);
  } catch {
    // JSON.stringify refuses bigint; its exact digits as a string lose nothing.
    return JSON.stringify(value, (_key, v: unknown) => (typeof v === "bigint" ? v.toString() : v));
  }
}

/**
 * Any value as a field. Dates become ISO 8601 in UTC, binary becomes base64, other objects
 * and arrays become JSON text; bigint and numeric strings keep their exact digits because
 * nothing here passes them through Number.
 */
export function csvField(value: unknown, neutralize: boolean): string {
  if (value === null || value === undefined) return "";
  switch (typeof value) {
    case "string":
      return textField(value, neutralize);
    case "number":
      return String(value);
    case "bigint":
      return value.toString();
    case "boolean":
      return value ? "true" : "false";
    case "object":
      if (value instanceof Date) return Number.isNaN(value.getTime()) ? "" : value.toISOString();
      if (value instanceof Uint8Array) {
        return Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString("base64");
      }
      return textField(jsonText(value), neutralize);
    default:
      return textField(String(value), neutralize);
  }
}
