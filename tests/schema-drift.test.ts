/**
 * schema.prisma and the hand-written SQL in prisma/migrations must describe the same
 * database, because Prisma's schema engine (which would write the SQL for us) cannot run
 * on offline machines. This applies every migration to an empty database and compares the
 * result with the models, both ways, fact by fact.
 */
import { createHash, randomBytes } from "node:crypto";
import { readdir, readFile } from "node:fs/promises";
import path from "node:path";

import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

import { migrate } from "../scripts/db-migrate";
import { $Enums, Prisma } from "~/generated/prisma/client";
import { parseAttributes, parsePrismaSchema, PrismaSchemaError } from "./support/prisma-schema";
import { diffFacts, factsFromDatabase, factsFromSchema, formatDiff } from "./support/schema-facts";
import { TEST_DATABASE_URL, TEST_POSTGRES_ADMIN_URL, withDatabase } from "./support/test-env";

const PRISMA_DIR = path.resolve(import.meta.dirname, "../prisma");
const MIGRATIONS_DIR = path.join(PRISMA_DIR, "migrations");

async function withClient<T>(url: string, run: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await run(client);
  } finally {
    await client.end();
  }
}

async function migrationFolders(): Promise<Array<{ name: string; checksum: string }>> {
  const entries = await readdir(MIGRATIONS_DIR, { withFileTypes: true });
  const names = entries.filter((e) => e.isDirectory()).map((e) => e.name).sort();
  return Promise.all(
    names.map(async (name) => {
      const sql = await readFile(path.join(MIGRATIONS_DIR, name, "migration.sql"));
      return { name, checksum: createHash("sha256").update(sql).digest("hex") };
    }),
  );
}

describe("the schema.prisma parser", () => {
  const sample = `
    // a comment with a "quote
    datasource db {
      provider = "postgresql" // url = "postgresql://x" would not end the line early
    }

    /// Doc comments are ignored too.
    enum Colour {
      RED
      GREEN // trailing comment
    }

    model Owner {
      id   String @id @default(cuid())
      pets Pet[]
      toys Toy[]
    }

    model Pet {
      id      String  @id @default(uuid())
      ownerId String?
      colour  Colour  @default(RED)
      born    DateTime @default(now())
      owner   Owner?  @relation(fields: [ownerId], references: [id])
      toys    Toy[]

      @@unique([ownerId, colour])
      @@index([colour])
    }

    model Toy {
      petId   String
      makerId String
      pet     Pet    @relation(fields: [petId], references: [id])
      maker   Owner  @relation(fields: [makerId], references: [id], onDelete: Cascade)

      @@id([petId, makerId])
    }
  `;

  it("reads models, enums, fields and their attributes, skipping comments and config blocks", () => {
    const schema = parsePrismaSchema(sample);
    expect(schema.enums).toEqual([{ name: "Colour", values: ["RED", "GREEN"] }]);
    expect(schema.models.map((m) => m.name)).toEqual(["Owner", "Pet", "Toy"]);
    const pet = schema.models[1]!;
    expect(pet.fields.map(({ name, type, optional, list }) => ({ name, type, optional, list }))).toEqual([
      { name: "id", type: "String", optional: false, list: false },
      { name: "ownerId", type: "String", optional: true, list: false },
      { name: "colour", type: "Colour", optional: false, list: false },
      { name: "born", type: "DateTime", optional: false, list: false },
      { name: "owner", type: "Owner", optional: true, list: false },
      { name: "toys", type: "Toy", optional: false, list: true },
    ]);
    expect(pet.fields[0]!.attributes).toEqual([
      { name: "id", args: [] },
      { name: "default", args: [{ value: "uuid()" }] },
    ]);
    expect(schema.models[2]!.fields[3]!.attributes).toEqual([
      {
        name: "relation",
        args: [
          { name: "fields", value: ["makerId"] },
          { name: "references", value: ["id"] },
          { name: "onDelete", value: "Cascade" },
        ],
      },
    ]);
    expect(pet.attributes).toEqual([
      { name: "unique", args: [{ value: ["ownerId", "colour"] }] },
      { name: "index", args: [{ value: ["colour"] }] },
    ]);
  });

  it("keeps commas and parentheses inside strings and nested calls together", () => {
    expect(parseAttributes('@default(dbgenerated("f(a, b)")) @map("x, y")', "@", 1)).toEqual([
      { name: "default", args: [{ value: 'dbgenerated("f(a, b)")' }] },
      { name: "map", args: [{ value: '"x, y"' }] },
    ]);
  });

  it.each([
    ["model A {\n  id String @id\n", /line 1: this block is not closed/],
    ['model A {\n  id Unsupported("x")\n}', /line 2: cannot parse field/],
    ["type Address {\n  street String\n}", /line 1: "type" blocks are not supported/],
    ['enum E {\n  A @map("a")\n}', /line 2: unsupported enum line/],
    ["model A {\n  id String @id @default(cuid()\n}", /line 2: unclosed parenthesis/],
    ["stray line", /line 1: expected a block/],
  ])("rejects what it does not understand, with the line: %j", (text, message) => {
    expect(() => parsePrismaSchema(text)).toThrow(PrismaSchemaError);
    expect(() => parsePrismaSchema(text)).toThrow(message);
  });

  it("derives Prisma's names, types, defaults and default referential actions", () => {
    expect(factsFromSchema(parsePrismaSchema(sample))).toEqual(
      [
        "enum Colour (RED, GREEN)",
        "table Owner",
        "column Owner.id text NOT NULL",
        "primary key Owner_pkey on Owner (id)",
        "table Pet",
        "column Pet.id text NOT NULL",
        "column Pet.ownerId text NULL",
        `column Pet.colour "Colour" NOT NULL DEFAULT 'RED'::"Colour"`,
        "column Pet.born timestamp(3) without time zone NOT NULL DEFAULT CURRENT_TIMESTAMP",
        "foreign key Pet_ownerId_fkey on Pet (ownerId) references Owner (id) on delete SET NULL on update CASCADE",
        "unique index Pet_ownerId_colour_key on Pet (ownerId, colour)",
        "index Pet_colour_idx on Pet (colour)",
        "primary key Pet_pkey on Pet (id)",
        "table Toy",
        "column Toy.petId text NOT NULL",
        "column Toy.makerId text NOT NULL",
        "foreign key Toy_petId_fkey on Toy (petId) references Pet (id) on delete RESTRICT on update CASCADE",
        "foreign key Toy_makerId_fkey on Toy (makerId) references Owner (id) on delete CASCADE on update CASCADE",
        "primary key Toy_pkey on Toy (petId, makerId)",
      ].sort(),
    );
  });

  it.each([
    ['  name String @map("full_name")', /A\.name: @map/],
    ["  score Float", /A\.score: the type Float/],
    ["  n Int @default(autoincrement())", /A\.n: @default\(autoincrement\(\)\)/],
    ["  tags String[]", /A\.tags: a scalar list/],
    ['  code String @unique(map: "code_key")', /A\.code: argument "map" of @unique/],
    ['  @@index([id], map: "by_id")', /@@index: argument "map" of @index/],
    ['  @@map("a")', /A: @@map/],
  ])("refuses to guess how PostgreSQL represents %j", (line, message) => {
    const schema = parsePrismaSchema(`model A {\n  id String @id\n${line}\n}`);
    expect(() => factsFromSchema(schema)).toThrow(message);
  });

  it("agrees with the generated client on every model, scalar field and enum of schema.prisma", async () => {
    const schema = parsePrismaSchema(await readFile(path.join(PRISMA_DIR, "schema.prisma"), "utf8"));
    const scalarFields = Prisma as unknown as Record<string, Record<string, string> | undefined>;
    const enumNames = new Set(schema.enums.map((e) => e.name));
    const modelNames = new Set(schema.models.map((m) => m.name));
    expect(schema.models.map((m) => m.name), "models (is the client generated from this schema?)").toEqual(
      Object.values(Prisma.ModelName),
    );
    for (const model of schema.models) {
      const columns = model.fields.filter((f) => !modelNames.has(f.type)).map((f) => f.name);
      expect(columns, `scalar fields of ${model.name}`).toEqual(Object.values(scalarFields[`${model.name}ScalarFieldEnum`] ?? {}));
    }
    expect(schema.enums).toEqual(
      Object.entries($Enums)
        .filter(([name]) => enumNames.has(name))
        .map(([name, values]) => ({ name, values: Object.values(values) })),
    );
    expect(schema.enums.length).toBe(Object.keys($Enums).length);
  });
});

describe("prisma/migrations applied to an empty database", () => {
  const database = `export_center_drift_${randomBytes(6).toString("hex")}`;
  const url = withDatabase(TEST_DATABASE_URL, database);
  let applied: string[];
  let client: pg.Client;
  let schemaText: string;

  beforeAll(async () => {
    schemaText = await readFile(path.join(PRISMA_DIR, "schema.prisma"), "utf8");
    applied = await migrate(url);
    client = new pg.Client({ connectionString: url });
    await client.connect();
  });

  afterAll(async () => {
    await client?.end();
    await withClient(TEST_POSTGRES_ADMIN_URL, (admin) => admin.query(`DROP DATABASE IF EXISTS "${database}" WITH (FORCE)`));
  });

  const driftFrom = async (text: string) =>
    diffFacts(factsFromSchema(parsePrismaSchema(text)), await factsFromDatabase(client));

  it("applies every migration folder, in order", async () => {
    expect(applied).toEqual((await migrationFolders()).map((m) => m.name));
  });

  it("produces exactly the tables, columns, types, nullability, defaults, keys and indexes of schema.prisma", async () => {
    const diff = formatDiff(await driftFrom(schemaText));
    expect(diff, `schema.prisma and prisma/migrations disagree:\n${diff}\n`).toBe("");
  });

  it("records each migration in _prisma_migrations as prisma migrate deploy does", async () => {
    const { rows } = await client.query<{
      migration_name: string;
      checksum: string;
      finished_at: Date | null;
      rolled_back_at: Date | null;
      applied_steps_count: number;
    }>(`SELECT migration_name, checksum, finished_at, rolled_back_at, applied_steps_count
        FROM "_prisma_migrations" ORDER BY migration_name`);
    expect(rows.map(({ migration_name, checksum }) => ({ name: migration_name, checksum }))).toEqual(await migrationFolders());
    for (const row of rows) {
      expect(row.finished_at, row.migration_name).toBeInstanceOf(Date);
      expect(row.rolled_back_at, row.migration_name).toBeNull();
      expect(row.applied_steps_count, row.migration_name).toBe(1);
    }
  });

  it("does nothing when run a second time", async () => {
    const bookkeeping = () => client.query(`SELECT * FROM "_prisma_migrations" ORDER BY migration_name`).then((r) => r.rows);
    const before = { rows: await bookkeeping(), facts: await factsFromDatabase(client) };
    expect(await migrate(url)).toEqual([]);
    expect({ rows: await bookkeeping(), facts: await factsFromDatabase(client) }).toEqual(before);
  });

  it("would notice a column added, a nullability changed, an index dropped and an onDelete changed", async () => {
    const edits: Array<[RegExp, string]> = [
      [/(model User \{\n)/, "$1  nickname String\n"],
      [/(model User \{[^}]*\n\s*name\s+)String\?/, "$1String"],
      [/(model View \{[^}]*)\n\s*@@index\(\[groupId\]\)/, "$1"],
      [/(dataSource DataSource @relation\([^)]*onDelete: )Restrict/, "$1Cascade"],
    ];
    let edited = schemaText;
    for (const [pattern, replacement] of edits) {
      const next = edited.replace(pattern, replacement);
      expect(next, `the edit ${String(pattern)} must apply`).not.toBe(edited);
      edited = next;
    }

    const diff = await driftFrom(edited);
    expect(diff.missing.sort()).toEqual(
      [
        "column User.nickname text NOT NULL",
        "column User.name text NOT NULL",
        "foreign key Metric_dataSourceId_fkey on Metric (dataSourceId) references DataSource (id) on delete CASCADE on update CASCADE",
      ].sort(),
    );
    expect(diff.extra.sort()).toEqual(
      [
        "column User.name text NULL",
        "foreign key Metric_dataSourceId_fkey on Metric (dataSourceId) references DataSource (id) on delete RESTRICT on update CASCADE",
        "index View_groupId_idx on View (groupId)",
      ].sort(),
    );
    expect(formatDiff(diff)).toContain("- column User.nickname text NOT NULL    (in schema.prisma, missing from the database)");
  });

  it("would notice a table that only the database has", async () => {
    await client.query(`CREATE TABLE "Stray" ("id" TEXT NOT NULL, CONSTRAINT "Stray_pkey" PRIMARY KEY ("id"))`);
    try {
      expect((await driftFrom(schemaText)).extra.sort()).toEqual(
        ["column Stray.id text NOT NULL", "primary key Stray_pkey on Stray (id)", "table Stray"].sort(),
      );
    } finally {
      await client.query(`DROP TABLE "Stray"`);
    }
  });
});
