/**
 * What an admin command is: its flags, a schema that turns them into typed input (a flag
 * problem is a usage error, exit 2), and `run`, which does the work and answers with a
 * JSON object and a human line. Domain refusals are AppErrors (exit 1).
 *
 * Commands import server modules inside `run`, not at the top: src/server/db.ts reads the
 * environment as it loads, and the CLI must be able to report a usage error (and set up
 * the environment) before that.
 */
import { z } from "zod";

export interface CommandContext {
  /** For notes to the operator: they go to stderr, so stdout stays one JSON object. */
  log: (line: string) => void;
}

export interface CommandResult {
  json: Record<string, unknown>;
  text: string;
}

interface CommandSpec<Input> {
  name: string;
  summary: string;
  /** The flags as shown in the usage text, e.g. `--name <name>`. */
  usage: string;
  flags: Record<string, { type: "string" | "boolean" }>;
  input: z.ZodType<Input>;
  run(input: Input, context: CommandContext): Promise<CommandResult>;
}

/** A command with its input type hidden, so that different commands fit in one list. */
export interface AdminCommand extends Omit<CommandSpec<unknown>, "input" | "run"> {
  /** Validates the parsed flag values (a UsageError if they are wrong), then runs. */
  execute(values: Record<string, unknown>, context: CommandContext): Promise<CommandResult>;
}

export function defineCommand<Input>({ input, run, ...description }: CommandSpec<Input>): AdminCommand {
  return {
    ...description,
    async execute(values, context) {
      const parsed = input.safeParse(values);
      if (!parsed.success) throw new UsageError(parsed.error.issues.map((issue) => issue.message).join("; "));
      return run(parsed.data, context);
    },
  };
}

export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "UsageError";
  }
}

export const requiredText = (flag: string, max = 200) =>
  z
    .string({ error: `--${flag} is required` })
    .trim()
    .min(1, `--${flag} must not be empty`)
    .max(max, `--${flag} must be at most ${max} characters`);

export const optionalText = (flag: string, max = 200) => requiredText(flag, max).optional();

export const emailFlag = z
  .string({ error: "--email is required" })
  .trim()
  .toLowerCase()
  .pipe(z.email({ error: "--email must be an email address" }));
