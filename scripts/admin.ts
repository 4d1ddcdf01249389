/**
 * `npm run admin -- <command> [flags] [--json]`: operator tasks without a browser, and a
 * stable interface for scripted checks. With --json, stdout carries exactly one JSON object
 * (the result, or `{"error": {…}}`) and everything else goes to stderr.
 *
 * Exit codes: 0 done; 1 refused or failed (unknown team, duplicate…); 2 bad command or flags.
 *
 * It reads the same environment as `npm start` (.env.local, .env, then the embedded
 * defaults of scripts/embedded-env.ts), so that locally it finds the same database and
 * vault key as the running app.
 */
import { existsSync } from "node:fs";
import { parseArgs } from "node:util";

import { isAppError } from "~/server/errors";

import { type AdminCommand, UsageError } from "./admin/command";
import { commands } from "./admin/commands";
import { closeDatabase } from "./admin/server";
import { embeddedPlan } from "./embedded-env";

const EXIT = { ok: 0, failed: 1, usage: 2 } as const;

function usage(): string {
  const width = Math.max(...commands.map((c) => c.name.length));
  return [
    "Usage: npm run admin -- <command> [flags] [--json]",
    "",
    "Commands:",
    ...commands.flatMap((c) => [`  ${c.name.padEnd(width)}  ${c.summary}`, `  ${" ".repeat(width)}    ${c.usage}`]),
    "",
    "--json prints one JSON object on stdout. Exit codes: 0 done, 1 refused or failed, 2 bad command or flags.",
  ].join("\n");
}

function parse(argv: string[]): { command: AdminCommand; values: Record<string, unknown> } | "help" {
  const [name, ...rest] = argv;
  if (name === undefined) throw new UsageError("no command given");
  if (name === "help" || name === "--help" || name === "-h") return "help";
  const command = commands.find((c) => c.name === name);
  if (!command) throw new UsageError(`unknown command "${name}"`);
  try {
    const { values } = parseArgs({
      args: rest,
      options: { ...command.flags, json: { type: "boolean" }, help: { type: "boolean", short: "h" } },
      strict: true,
      allowPositionals: false,
    });
    return values.help ? "help" : { command, values };
  } catch (error) {
    // parseArgs reports unknown flags and missing values as TypeErrors with an ERR_PARSE_ARGS_* code.
    if ((error as { code?: string }).code?.startsWith("ERR_PARSE_ARGS_")) throw new UsageError((error as Error).message);
    throw error;
  }
}

function loadEnvironment() {
  for (const file of [".env.local", ".env"]) if (existsSync(file)) process.loadEnvFile(file);
  for (const [key, value] of Object.entries(embeddedPlan().env)) process.env[key] ??= value;
}

function errorCode(error: unknown): string {
  if (error instanceof UsageError) return "usage";
  return isAppError(error) ? error.code.toLowerCase() : "internal";
}

async function main(argv: string[]): Promise<number> {
  const json = argv.includes("--json");
  const fail = (error: unknown, label: string) => {
    const message = error instanceof Error ? error.message : String(error);
    console.error(`admin${label}: ${message}`);
    if (json) process.stdout.write(`${JSON.stringify({ error: { code: errorCode(error), message } })}\n`);
  };

  let parsed: ReturnType<typeof parse>;
  try {
    parsed = parse(argv);
  } catch (error) {
    fail(error, "");
    console.error(`\n${usage()}`);
    return EXIT.usage;
  }
  if (parsed === "help") {
    console.log(usage());
    return EXIT.ok;
  }

  const { command, values } = parsed;
  try {
    loadEnvironment();
    const result = await command.execute(values, { log: (line) => console.error(line) });
    if (json) process.stdout.write(`${JSON.stringify(result.json)}\n`);
    else console.log(result.text);
    return EXIT.ok;
  } catch (error) {
    fail(error, ` ${command.name}`);
    if (error instanceof UsageError) {
      console.error(`\n${usage()}`);
      return EXIT.usage;
    }
    return EXIT.failed;
  } finally {
    await closeDatabase();
  }
}

process.exitCode = await main(process.argv.slice(2));
