/**
 * Redis 7.0 refuses the `allow-key-locking` script flag, which only Upstash understands and
 * which @upstash/ratelimit's scripts declare. Scripts lose that flag on their way to Redis, and
 * the SHA a client computed for the text it holds is mapped to the SHA of the text Redis
 * actually stores, so EVALSHA and SCRIPT EXISTS keep working.
 */
import { createHash } from "node:crypto";

export type RedisCommand = [string, ...unknown[]];

const UNSUPPORTED_FLAGS = new Set(["allow-key-locking"]);

const sha1 = (text: string) => createHash("sha1").update(text).digest("hex");

/**
 * The script without the flags Redis 7.0 rejects. The shebang line stays (as `#!lua`, with any
 * other flags) so that line numbers in Redis's error messages still match the source.
 */
export function stripUnsupportedFlags(script: string): string {
  const match = /^#!lua(?<rest>[^\n]*)(?=\n|$)/.exec(script);
  if (!match) return script;
  const rest = match.groups?.rest ?? "";
  const flagsMatch = /(?:^|\s)flags=(?<list>\S*)/.exec(rest);
  if (!flagsMatch) return script;
  const flags = (flagsMatch.groups?.list ?? "").split(",").filter((f) => f !== "");
  const kept = flags.filter((f) => !UNSUPPORTED_FLAGS.has(f));
  if (kept.length === flags.length) return script;
  const otherOptions = rest.replace(flagsMatch[0], "").trim();
  const shebang = ["#!lua", kept.length ? `flags=${kept.join(",")}` : "", otherOptions].filter(Boolean).join(" ");
  return shebang + script.slice(match[0].length);
}

export class ScriptFlagCompat {
  /** The client's SHA of a script → the SHA of the text Redis was given. */
  private readonly shas = new Map<string, string>();

  private strip(script: string): string {
    const stripped = stripUnsupportedFlags(script);
    if (stripped !== script) this.shas.set(sha1(script), sha1(stripped));
    return stripped;
  }

  private mapSha(sha: unknown): unknown {
    return typeof sha === "string" ? (this.shas.get(sha.toLowerCase()) ?? sha) : sha;
  }

  /** The command as Redis 7.0 accepts it. */
  rewrite(command: RedisCommand): RedisCommand {
    const [name, ...args] = command;
    switch (name.toUpperCase()) {
      case "EVAL":
      case "EVAL_RO":
        return typeof args[0] === "string" ? [name, this.strip(args[0]), ...args.slice(1)] : command;
      case "EVALSHA":
      case "EVALSHA_RO":
        return [name, this.mapSha(args[0]), ...args.slice(1)];
      case "SCRIPT": {
        const sub = String(args[0]).toUpperCase();
        if (sub === "LOAD" && typeof args[1] === "string") return [name, args[0], this.strip(args[1])];
        if (sub === "EXISTS") return [name, args[0], ...args.slice(1).map((sha) => this.mapSha(sha))];
        return command;
      }
      default:
        return command;
    }
  }

  /** The reply as the client expects it: SCRIPT LOAD answers with the SHA of the client's own text. */
  reply(original: RedisCommand, result: unknown): unknown {
    const [name, sub, script] = original;
    if (name.toUpperCase() === "SCRIPT" && String(sub).toUpperCase() === "LOAD" && typeof script === "string") return sha1(script);
    return result;
  }
}
