/**
 * Lets `@upstash/redis` run over a plain Redis TCP connection (ioredis), so self-hosters and
 * tests use the same client and the same code paths as Upstash's HTTP API. It implements
 * the client's Requester: single commands, `/pipeline` and `/multi-exec`, answering in the
 * REST API's `{ result } | { error }` shape with raw (flat-array) replies.
 */
import { createHash } from "node:crypto";

import type { Requester, UpstashRequest, UpstashResponse } from "@upstash/redis";
import type { Redis as IORedis } from "ioredis";

type Command = [string, ...unknown[]];

const sha1 = (text: string) => createHash("sha1").update(text).digest("hex");

/**
 * Redis 7.0 refuses the `allow-key-locking` script flag that @upstash/ratelimit's scripts
 * declare (it only exists in later versions). Scripts lose the flag, and the SHA the client
 * computed for the original text is mapped to the SHA of the text Redis actually stores.
 */
export class ScriptCompat {
  private readonly shaMap = new Map<string, string>();

  strip(script: string): string {
    const match = /^#!lua(?<flags>[^\n]*)\n/.exec(script);
    if (!match?.groups || !/allow-key-locking/.test(match.groups.flags ?? "")) return script;
    const rest = (match.groups.flags ?? "")
      .replace(/flags=([^\s]*)/, (_, list: string) => {
        const kept = list.split(",").filter((f) => f && f !== "allow-key-locking");
        return kept.length ? `flags=${kept.join(",")}` : "";
      })
      .trim();
    const stripped = (rest ? `#!lua ${rest}\n` : "") + script.slice(match[0].length);
    this.shaMap.set(sha1(script), sha1(stripped));
    return stripped;
  }

  rewrite(command: Command): Command {
    const [name, ...args] = command;
    const upper = name.toUpperCase();
    if ((upper === "EVAL" || upper === "EVAL_RO") && typeof args[0] === "string") {
      return [name, this.strip(args[0]), ...args.slice(1)];
    }
    if ((upper === "EVALSHA" || upper === "EVALSHA_RO") && typeof args[0] === "string") {
      return [name, this.shaMap.get(args[0]) ?? args[0], ...args.slice(1)];
    }
    if (upper === "SCRIPT" && String(args[0]).toUpperCase() === "LOAD" && typeof args[1] === "string") {
      return [name, args[0], this.strip(args[1])];
    }
    return command;
  }

  /** SCRIPT LOAD answers with the SHA of what Redis stored; the client expects its own. */
  answer(command: Command, original: Command, result: unknown): unknown {
    const upper = command[0].toUpperCase();
    if (upper === "SCRIPT" && String(command[1]).toUpperCase() === "LOAD" && typeof original[2] === "string") {
      return sha1(original[2]);
    }
    return result;
  }
}

function toArgs(args: unknown[]): (string | Buffer | number)[] {
  return args.map((a) => (typeof a === "number" || typeof a === "string" || Buffer.isBuffer(a) ? a : JSON.stringify(a)));
}

/**
 * ioredis reshapes some replies (HGETALL into an object) when the command name is lower
 * case; the Upstash client expects Redis's raw replies, which upper case names keep.
 */
function rawName(name: string): string {
  return name.toUpperCase();
}

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

export class TcpRequester implements Requester {
  private readonly scripts = new ScriptCompat();

  constructor(readonly connection: IORedis) {}

  private async single(original: Command): Promise<UpstashResponse<unknown>> {
    const command = this.scripts.rewrite(original);
    try {
      const result: unknown = await this.connection.call(rawName(command[0]), ...toArgs(command.slice(1)));
      return { result: this.scripts.answer(command, original, result) ?? null };
    } catch (error) {
      return { error: errorText(error) };
    }
  }

  private async batch(originals: Command[], transactional: boolean): Promise<UpstashResponse<unknown>[]> {
    const commands = originals.map((c) => this.scripts.rewrite(c));
    const chain = transactional ? this.connection.multi() : this.connection.pipeline();
    for (const [name, ...args] of commands) chain.call(rawName(name), ...toArgs(args));
    const replies = await chain.exec();
    if (!replies) throw new Error("The transaction was aborted");
    return replies.map(([error, result], i) =>
      error ? { error: errorText(error) } : { result: this.scripts.answer(commands[i]!, originals[i]!, result) ?? null },
    );
  }

  async request<TResult = unknown>(req: UpstashRequest): Promise<UpstashResponse<TResult>> {
    const route = req.path?.[0];
    if (route === "pipeline" || route === "multi-exec") {
      // The client reads a batch's answer as an array of per-command results.
      return (await this.batch(req.body as Command[], route === "multi-exec")) as unknown as UpstashResponse<TResult>;
    }
    return (await this.single(req.body as Command)) as UpstashResponse<TResult>;
  }
}
