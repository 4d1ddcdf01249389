/**
 * The database as a set of one-line facts ("column User.name text NULL", "index … (…)"),
 * computed twice: from schema.prisma, following Prisma's own conventions for PostgreSQL
 * (type mapping, `Model_field_key` / `_idx` / `_pkey` / `_fkey` names, default referential
 * actions), and from the catalog of a real database. Two sets of lines make the comparison
 * symmetric and the failure message a plain diff.
 */
import type pg from "pg";

import type { PrismaAttribute, PrismaField, PrismaModel, PrismaSchema } from "./prisma-schema";

const SCALAR_TYPES: Record<string, string> = {
  String: "text",
  Int: "integer",
  BigInt: "bigint",
  Boolean: "boolean",
  DateTime: "timestamp(3) without time zone",
  Json: "jsonb",
};

/** Defaults that Prisma Client fills in itself, so the column has none. */
const CLIENT_DEFAULTS = /^(cuid|uuid|nanoid|ulid)\(\d*\)$/;

const REFERENTIAL_ACTIONS: Record<string, string> = {
  Cascade: "CASCADE",
  Restrict: "RESTRICT",
  NoAction: "NO ACTION",
  SetNull: "SET NULL",
  SetDefault: "SET DEFAULT",
};

const FIELD_ATTRIBUTES = new Set(["id", "unique", "default", "updatedAt"]);
const MODEL_ATTRIBUTES = new Set(["id", "unique", "index"]);

/** The migrator's own table, not part of the data model. */
const IGNORED_TABLES = ["_prisma_migrations"];

class UnsupportedSchemaError extends Error {
  constructor(where: string, what: string) {
    super(`${where}: ${what} is not supported by tests/support/schema-facts.ts; teach it how PostgreSQL represents it`);
  }
}

/** How PostgreSQL prints an identifier: bare when it is lower case, quoted otherwise. */
function quoteIdent(name: string): string {
  return /^[a-z_][a-z0-9_$]*$/.test(name) ? name : `"${name.replaceAll('"', '""')}"`;
}

function attribute(owner: { attributes: PrismaAttribute[] }, name: string): PrismaAttribute | undefined {
  return owner.attributes.find((a) => a.name === name);
}

function argument(attr: PrismaAttribute, name?: string): string | string[] | undefined {
  return (name ? attr.args.find((a) => a.name === name) : attr.args.find((a) => a.name === undefined))?.value;
}

function listArgument(attr: PrismaAttribute, where: string, name?: string): string[] {
  const value = argument(attr, name);
  if (!Array.isArray(value)) throw new UnsupportedSchemaError(where, `@${attr.name} without a field list`);
  return value;
}

function onlyArguments(attr: PrismaAttribute, where: string, allowed: Array<string | undefined>) {
  for (const arg of attr.args) {
    if (!allowed.includes(arg.name)) throw new UnsupportedSchemaError(where, `argument "${arg.name ?? arg.value}" of @${attr.name}`);
  }
}

function defaultExpression(field: PrismaField, where: string, enumNames: Set<string>): string | undefined {
  const attr = attribute(field, "default");
  if (!attr) return undefined;
  onlyArguments(attr, where, [undefined]);
  const value = argument(attr);
  if (typeof value !== "string") throw new UnsupportedSchemaError(where, "a list @default");
  if (value === "now()") return "CURRENT_TIMESTAMP";
  if (CLIENT_DEFAULTS.test(value)) return undefined;
  if (field.type === "Boolean" && (value === "true" || value === "false")) return value;
  // PostgreSQL shows an integer default as its digits, with no cast.
  if (field.type === "Int" && /^-?\d+$/.test(value)) return value;
  if (enumNames.has(field.type) && /^\w+$/.test(value)) return `'${value}'::${quoteIdent(field.type)}`;
  // A plain string literal; one with quotes or backslashes would need PostgreSQL's escaping taught too.
  if (field.type === "String" && /^"[^"'\\]*"$/.test(value)) return `'${value.slice(1, -1)}'::text`;
  throw new UnsupportedSchemaError(where, `@default(${value})`);
}

function columnFact(model: PrismaModel, field: PrismaField, enumNames: Set<string>): string {
  const where = `${model.name}.${field.name}`;
  for (const attr of field.attributes) {
    if (!FIELD_ATTRIBUTES.has(attr.name)) throw new UnsupportedSchemaError(where, `@${attr.name}`);
    // `map:` and friends would rename or reshape what the conventions below predict.
    if (attr.name !== "default") onlyArguments(attr, where, []);
  }
  if (field.list) throw new UnsupportedSchemaError(where, "a scalar list");
  const type = SCALAR_TYPES[field.type] ?? quoteIdent(field.type);
  const nullability = field.optional ? "NULL" : "NOT NULL";
  const defaultValue = defaultExpression(field, where, enumNames);
  return `column ${where} ${type} ${nullability}${defaultValue ? ` DEFAULT ${defaultValue}` : ""}`;
}

function indexFact(kind: "primary key" | "unique index" | "index", model: string, name: string, columns: string[]) {
  return `${kind} ${name} on ${model} (${columns.join(", ")})`;
}

interface ForeignKey {
  name: string;
  table: string;
  columns: string[];
  refTable: string;
  refColumns: string[];
  onDelete: string;
  onUpdate: string;
}

function foreignKeyFact(fk: ForeignKey) {
  const from = `${fk.table} (${fk.columns.join(", ")})`;
  const to = `${fk.refTable} (${fk.refColumns.join(", ")})`;
  return `foreign key ${fk.name} on ${from} references ${to} on delete ${fk.onDelete} on update ${fk.onUpdate}`;
}

function relationFacts(model: PrismaModel, field: PrismaField): string[] {
  const relation = attribute(field, "relation");
  if (!relation || argument(relation, "fields") === undefined) return [];
  const where = `${model.name}.${field.name}`;
  onlyArguments(relation, where, [undefined, "name", "fields", "references", "onDelete", "onUpdate"]);
  const columns = listArgument(relation, where, "fields");
  const action = (name: "onDelete" | "onUpdate", fallback: string) => {
    const value = argument(relation, name) ?? fallback;
    const sql = typeof value === "string" ? REFERENTIAL_ACTIONS[value] : undefined;
    if (!sql) throw new UnsupportedSchemaError(where, `${name}: ${String(value)}`);
    return sql;
  };
  return [
    foreignKeyFact({
      name: `${model.name}_${columns.join("_")}_fkey`,
      table: model.name,
      columns,
      refTable: field.type,
      refColumns: listArgument(relation, where, "references"),
      // Prisma's default: an optional relation is set to null, a required one restricts.
      onDelete: action("onDelete", field.optional ? "SetNull" : "Restrict"),
      onUpdate: action("onUpdate", "Cascade"),
    }),
  ];
}

function modelFacts(model: PrismaModel, modelNames: Set<string>, enumNames: Set<string>): string[] {
  const facts = [`table ${model.name}`];
  const idFields: string[] = [];
  for (const field of model.fields) {
    if (modelNames.has(field.type)) {
      facts.push(...relationFacts(model, field));
      continue;
    }
    if (!(field.type in SCALAR_TYPES) && !enumNames.has(field.type)) {
      throw new UnsupportedSchemaError(`${model.name}.${field.name}`, `the type ${field.type}`);
    }
    facts.push(columnFact(model, field, enumNames));
    if (attribute(field, "id")) idFields.push(field.name);
    if (attribute(field, "unique")) {
      facts.push(indexFact("unique index", model.name, `${model.name}_${field.name}_key`, [field.name]));
    }
  }

  for (const attr of model.attributes) {
    const where = `${model.name} @@${attr.name}`;
    if (!MODEL_ATTRIBUTES.has(attr.name)) throw new UnsupportedSchemaError(model.name, `@@${attr.name}`);
    onlyArguments(attr, where, [undefined]);
    const columns = listArgument(attr, where);
    if (attr.name === "id") idFields.push(...columns);
    else if (attr.name === "unique") facts.push(indexFact("unique index", model.name, `${model.name}_${columns.join("_")}_key`, columns));
    else facts.push(indexFact("index", model.name, `${model.name}_${columns.join("_")}_idx`, columns));
  }
  if (idFields.length) facts.push(indexFact("primary key", model.name, `${model.name}_pkey`, idFields));
  return facts;
}

/** The facts that `prisma migrate` would produce from this schema on PostgreSQL. */
export function factsFromSchema(schema: PrismaSchema): string[] {
  const modelNames = new Set(schema.models.map((m) => m.name));
  const enumNames = new Set(schema.enums.map((e) => e.name));
  return [
    ...schema.enums.map((e) => `enum ${e.name} (${e.values.join(", ")})`),
    ...schema.models.flatMap((m) => modelFacts(m, modelNames, enumNames)),
  ].sort();
}

const RELATION_KINDS: Record<string, string> = {
  r: "table",
  p: "table",
  v: "view",
  m: "view",
  f: "foreign table",
  S: "sequence",
};

const FK_ACTIONS: Record<string, string> = { a: "NO ACTION", r: "RESTRICT", c: "CASCADE", n: "SET NULL", d: "SET DEFAULT" };

const CONSTRAINT_KINDS: Record<string, string> = { c: "check", x: "exclusion", t: "trigger" };

async function enumFacts(client: pg.Client): Promise<string[]> {
  const { rows } = await client.query<{ name: string; labels: string[] }>(
    `SELECT t.typname AS name, array_agg(e.enumlabel ORDER BY e.enumsortorder)::text[] AS labels
     FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace JOIN pg_enum e ON e.enumtypid = t.oid
     WHERE n.nspname = 'public' GROUP BY t.typname`,
  );
  return rows.map((e) => `enum ${e.name} (${e.labels.join(", ")})`);
}

async function relationKindFacts(client: pg.Client): Promise<string[]> {
  const { rows } = await client.query<{ name: string; kind: string }>(
    `SELECT c.relname AS name, c.relkind AS kind FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
     WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p', 'v', 'm', 'f', 'S') AND NOT (c.relname = ANY($1))`,
    [IGNORED_TABLES],
  );
  return rows.map((r) => `${RELATION_KINDS[r.kind]} ${r.name}`);
}

async function columnFacts(client: pg.Client): Promise<string[]> {
  const { rows } = await client.query<{ table: string; column: string; type: string; notnull: boolean; default: string | null }>(
    `SELECT c.relname AS table, a.attname AS column, format_type(a.atttypid, a.atttypmod) AS type,
            a.attnotnull AS notnull, pg_get_expr(d.adbin, d.adrelid) AS default
     FROM pg_attribute a
     JOIN pg_class c ON c.oid = a.attrelid JOIN pg_namespace n ON n.oid = c.relnamespace
     LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
     WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p') AND a.attnum > 0 AND NOT a.attisdropped
       AND NOT (c.relname = ANY($1))`,
    [IGNORED_TABLES],
  );
  return rows.map(
    (c) => `column ${c.table}.${c.column} ${c.type} ${c.notnull ? "NOT NULL" : "NULL"}${c.default ? ` DEFAULT ${c.default}` : ""}`,
  );
}

async function indexFacts(client: pg.Client): Promise<string[]> {
  const { rows } = await client.query<{
    table: string;
    name: string;
    primary: boolean;
    unique: boolean;
    method: string;
    predicate: string | null;
    columns: string[];
  }>(
    `SELECT t.relname AS table, i.relname AS name, ix.indisprimary AS primary, ix.indisunique AS unique,
            am.amname AS method, pg_get_expr(ix.indpred, ix.indrelid) AS predicate,
            ARRAY(SELECT CASE WHEN k.attnum = 0 THEN '(expression)' ELSE a.attname END
                  FROM unnest(ix.indkey::int2[]) WITH ORDINALITY AS k(attnum, ord)
                  LEFT JOIN pg_attribute a ON a.attrelid = ix.indrelid AND a.attnum = k.attnum
                  ORDER BY k.ord)::text[] AS columns
     FROM pg_index ix
     JOIN pg_class i ON i.oid = ix.indexrelid JOIN pg_class t ON t.oid = ix.indrelid
     JOIN pg_namespace n ON n.oid = t.relnamespace JOIN pg_am am ON am.oid = i.relam
     WHERE n.nspname = 'public' AND NOT (t.relname = ANY($1))`,
    [IGNORED_TABLES],
  );
  return rows.map((ix) => {
    const kind = ix.primary ? "primary key" : ix.unique ? "unique index" : "index";
    const method = ix.method === "btree" ? "" : ` using ${ix.method}`;
    const predicate = ix.predicate ? ` where ${ix.predicate}` : "";
    return indexFact(kind, ix.table, ix.name, ix.columns) + method + predicate;
  });
}

/** Foreign keys, and any check, exclusion or trigger constraint (Prisma makes none). */
async function constraintFacts(client: pg.Client): Promise<string[]> {
  const { rows } = await client.query<{
    name: string;
    kind: string;
    table: string;
    ref_table: string | null;
    on_delete: string;
    on_update: string;
    columns: string[];
    ref_columns: string[];
  }>(
    `SELECT c.conname AS name, c.contype AS kind, t.relname AS table, rt.relname AS ref_table,
            c.confdeltype AS on_delete, c.confupdtype AS on_update,
            ARRAY(SELECT a.attname FROM unnest(c.conkey) WITH ORDINALITY AS k(attnum, ord)
                  JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = k.attnum ORDER BY k.ord)::text[] AS columns,
            ARRAY(SELECT a.attname FROM unnest(c.confkey) WITH ORDINALITY AS k(attnum, ord)
                  JOIN pg_attribute a ON a.attrelid = c.confrelid AND a.attnum = k.attnum ORDER BY k.ord)::text[] AS ref_columns
     FROM pg_constraint c
     JOIN pg_class t ON t.oid = c.conrelid JOIN pg_namespace n ON n.oid = t.relnamespace
     LEFT JOIN pg_class rt ON rt.oid = c.confrelid
     WHERE n.nspname = 'public' AND c.contype IN ('f', 'c', 'x', 't') AND NOT (t.relname = ANY($1))`,
    [IGNORED_TABLES],
  );
  return rows.map((c) =>
    c.kind === "f"
      ? foreignKeyFact({
          name: c.name,
          table: c.table,
          columns: c.columns,
          refTable: c.ref_table ?? "?",
          refColumns: c.ref_columns,
          onDelete: FK_ACTIONS[c.on_delete] ?? c.on_delete,
          onUpdate: FK_ACTIONS[c.on_update] ?? c.on_update,
        })
      : `${CONSTRAINT_KINDS[c.kind]} constraint ${c.name} on ${c.table}`,
  );
}

/** The same kind of facts, read from the `public` schema of a live database. */
export async function factsFromDatabase(client: pg.Client): Promise<string[]> {
  const groups = [enumFacts, relationKindFacts, columnFacts, indexFacts, constraintFacts];
  const facts: string[] = [];
  // One query at a time: a pg.Client runs them one by one anyway.
  for (const read of groups) facts.push(...(await read(client)));
  return facts.sort();
}

export interface FactDiff {
  /** In schema.prisma, not in the database. */
  missing: string[];
  /** In the database, not in schema.prisma. */
  extra: string[];
}

export function diffFacts(expected: readonly string[], actual: readonly string[]): FactDiff {
  const inActual = new Set(actual);
  const inExpected = new Set(expected);
  return { missing: expected.filter((f) => !inActual.has(f)), extra: actual.filter((f) => !inExpected.has(f)) };
}

/** A unified-diff-like text, empty when the two agree. */
export function formatDiff(diff: FactDiff): string {
  return [
    ...diff.missing.map((f) => `- ${f}    (in schema.prisma, missing from the database)`),
    ...diff.extra.map((f) => `+ ${f}    (in the database, not in schema.prisma)`),
  ].join("\n");
}
