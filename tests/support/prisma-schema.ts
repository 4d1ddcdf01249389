/**
 * A parser for the part of the Prisma schema language that prisma/schema.prisma uses:
 * models, enums, scalar and relation fields with `?` and `[]`, and field (`@`) and block
 * (`@@`) attributes with their arguments. The generated client's runtime data model does
 * not say which fields are optional, so the drift test reads the schema itself.
 *
 * It parses syntax only; what an attribute means for the database is decided in
 * schema-facts.ts. Anything outside the subset fails with its line number instead of being
 * skipped, so the drift test can never pass by ignoring part of the schema.
 */

export interface PrismaSchema {
  models: PrismaModel[];
  enums: PrismaEnum[];
}

export interface PrismaEnum {
  name: string;
  values: string[];
}

export interface PrismaModel {
  name: string;
  fields: PrismaField[];
  /** Block attributes (`@@unique`, `@@index`, …), named without the `@@`. */
  attributes: PrismaAttribute[];
}

export interface PrismaField {
  name: string;
  type: string;
  optional: boolean;
  list: boolean;
  /** Field attributes (`@id`, `@default(…)`, …), named without the `@`. */
  attributes: PrismaAttribute[];
}

export interface PrismaAttribute {
  name: string;
  args: PrismaArgument[];
}

/** An argument as written: a list becomes its items, anything else stays raw text. */
export interface PrismaArgument {
  name?: string;
  value: string | string[];
}

export class PrismaSchemaError extends Error {
  constructor(line: number, message: string) {
    super(`schema line ${line}: ${message}`);
    this.name = "PrismaSchemaError";
  }
}

const BLOCK_START = /^(model|enum|generator|datasource|type|view)\s+(\w+)\s*\{$/;
const FIELD = /^(\w+)\s+(\w+)(\[\])?(\?)?(?:\s+(.*))?$/;
const ENUM_VALUE = /^(\w+)$/;

/** Removes `//` and `///` comments, leaving `//` inside string literals alone. */
function stripComment(line: string): string {
  let inString = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (c === "\\" && inString) i++;
    else if (c === '"') inString = !inString;
    else if (c === "/" && line[i + 1] === "/" && !inString) return line.slice(0, i);
  }
  return line;
}

/** Splits at commas that are outside brackets, parentheses and strings. */
function splitTopLevel(text: string, line: number): string[] {
  const parts: string[] = [];
  let depth = 0;
  let inString = false;
  let start = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (inString) {
      if (c === "\\") i++;
      else if (c === '"') inString = false;
    } else if (c === '"') inString = true;
    else if (c === "(" || c === "[") depth++;
    else if (c === ")" || c === "]") depth--;
    else if (c === "," && depth === 0) {
      parts.push(text.slice(start, i));
      start = i + 1;
    }
  }
  if (depth !== 0 || inString) throw new PrismaSchemaError(line, `unbalanced brackets or quotes in "${text}"`);
  parts.push(text.slice(start));
  return parts.map((p) => p.trim()).filter((p) => p !== "");
}

function parseArgument(text: string, line: number): PrismaArgument {
  const named = /^(\w+)\s*:\s*([\s\S]+)$/.exec(text);
  const raw = named?.[2] ?? text;
  const value = raw.startsWith("[") && raw.endsWith("]") ? splitTopLevel(raw.slice(1, -1), line) : raw;
  return named?.[1] ? { name: named[1], value } : { value };
}

/** The index of the parenthesis that closes the one at `open`. */
function closingParen(text: string, open: number, line: number): number {
  let depth = 0;
  let inString = false;
  for (let i = open; i < text.length; i++) {
    const c = text[i];
    if (inString) {
      if (c === "\\") i++;
      else if (c === '"') inString = false;
    } else if (c === '"') inString = true;
    else if (c === "(") depth++;
    else if (c === ")" && --depth === 0) return i;
  }
  throw new PrismaSchemaError(line, `unclosed parenthesis in "${text}"`);
}

/** Parses `@a @b(x, k: [y, z])` or `@@a(...)`; `marker` is `@` or `@@`. */
export function parseAttributes(text: string, marker: "@" | "@@", line: number): PrismaAttribute[] {
  const attributes: PrismaAttribute[] = [];
  const head = new RegExp(`^${marker}(?!@)([\\w.]+)`);
  let rest = text.trim();
  while (rest !== "") {
    const match = head.exec(rest);
    if (!match?.[1]) throw new PrismaSchemaError(line, `expected an ${marker}attribute at "${rest}"`);
    let end = match[0].length;
    let args: PrismaArgument[] = [];
    if (rest[end] === "(") {
      const close = closingParen(rest, end, line);
      args = splitTopLevel(rest.slice(end + 1, close), line).map((a) => parseArgument(a, line));
      end = close + 1;
    }
    attributes.push({ name: match[1], args });
    rest = rest.slice(end).trim();
  }
  return attributes;
}

function parseField(text: string, line: number): PrismaField {
  const match = FIELD.exec(text);
  if (!match?.[1] || !match[2]) throw new PrismaSchemaError(line, `cannot parse field "${text}"`);
  if (match[3] && match[4]) throw new PrismaSchemaError(line, `a list cannot be optional: "${text}"`);
  return {
    name: match[1],
    type: match[2],
    list: Boolean(match[3]),
    optional: Boolean(match[4]),
    attributes: parseAttributes(match[5] ?? "", "@", line),
  };
}

export function parsePrismaSchema(text: string): PrismaSchema {
  const schema: PrismaSchema = { models: [], enums: [] };
  type Block = { kind: "model"; model: PrismaModel } | { kind: "enum"; value: PrismaEnum } | { kind: "config" };
  let block: Block | null = null;
  let blockLine = 0;

  const lines = text.split(/\r?\n/);
  for (const [index, rawLine] of lines.entries()) {
    const line = index + 1;
    const content = stripComment(rawLine).trim();
    if (content === "") continue;

    if (!block) {
      const [, kind, name] = BLOCK_START.exec(content) ?? [];
      if (!kind || !name) throw new PrismaSchemaError(line, `expected a block, found "${content}"`);
      blockLine = line;
      if (kind === "model") {
        block = { kind: "model", model: { name, fields: [], attributes: [] } };
        schema.models.push(block.model);
      } else if (kind === "enum") {
        block = { kind: "enum", value: { name, values: [] } };
        schema.enums.push(block.value);
      } else if (kind === "generator" || kind === "datasource") {
        block = { kind: "config" };
      } else {
        throw new PrismaSchemaError(line, `"${kind}" blocks are not supported`);
      }
      continue;
    }

    if (content === "}") {
      block = null;
      continue;
    }
    if (block.kind === "config") continue;
    if (block.kind === "enum") {
      const value = ENUM_VALUE.exec(content)?.[1];
      if (!value) throw new PrismaSchemaError(line, `unsupported enum line "${content}" (only bare values)`);
      block.value.values.push(value);
      continue;
    }
    if (content.startsWith("@@")) block.model.attributes.push(...parseAttributes(content, "@@", line));
    else block.model.fields.push(parseField(content, line));
  }

  if (block) throw new PrismaSchemaError(blockLine, "this block is not closed");
  return schema;
}
