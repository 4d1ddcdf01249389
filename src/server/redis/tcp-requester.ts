/**
 * Lets `@upstash/redis` run over a plain Redis TCP connection (ioredis), so self-hosters and
 * tests use the same client and code paths as Upstash's HTTP API. It implements the client's
 * Requester: single commands, `/pipeline` and `/multi-exec`, answering in the REST API's
 * `{ result } | { error }` shape with Redis's raw replies.
 *
 * Replies are plain UTF-8 strings, as the REST API gives them with `responseEncoding: false`;
 * the client only base64-decodes inside its own HTTP requester, never a custom one.
 */
import { errors, type Requester, type UpstashRequest, type UpstashResponse } from "@upstash/redis";
import { type Redis as IORedis, ReplyError } from "ioredis";

import { AppError } from "~/server/errors";

import { type RedisCommand, ScriptFlagCompat } from "./script-flags";

type Arg = string | number | Buffer;

/**
 * The client has already serialised objects to JSON text; what is left is sent as the REST
 * API's JSON body would carry it (`undefined` becomes `null` there too).
 */
function toArgs(args: unknown[]): Arg[] {
  return args.map((a) => {
    if (typeof a === "string" || typeof a === "number" || Buffer.isBuffer(a)) return a;
    if (typeof a === "object" || a === undefined) return JSON.stringify(a ?? null);
    return String(a);
  });
}

/**
 * ioredis reshapes some replies (HGETALL into an object) and arguments (HSET with an object)
 * by lower-case command name; the Upstash client expects Redis's own flat replies, which an
 * upper-case name keeps.
 */
const rawName = (name: string) => name.toUpperCase();

const isReplyError = (error: unknown): error is Error => error instanceof (ReplyError as unknown as typeof Error);

export type TransportFailure = (error: unknown) => AppError;

export class TcpRequester implements Requester {
  private readonly scripts = new ScriptFlagCompat();

  /**
   * @param transportFailure turns an error that is not Redis's answer (refused connection, lost
   * socket, retries exhausted) into the error callers see; it names the server, never the URL.
   */
  constructor(
    private readonly connection: IORedis,
    private readonly transportFailure: TransportFailure,
  ) {}

  async request<TResult = unknown>(req: UpstashRequest): Promise<UpstashResponse<TResult>> {
    if (req.isStreaming) throw new AppError("INTERNAL", "Streaming commands (SUBSCRIBE, MONITOR) are not supported over the Redis TCP requester");
    const route = req.path?.[0];
    if (route === "pipeline" || route === "multi-exec") {
      // The client reads a batch's answer as an array of per-command `{ result } | { error }`.
      return (await this.batch(req.body as RedisCommand[], route === "multi-exec")) as unknown as UpstashResponse<TResult>;
    }
    if (route !== undefined) throw new AppError("INTERNAL", `The Redis TCP requester does not serve the REST path /${req.path?.join("/")}`);
    return (await this.single(req.body as RedisCommand)) as UpstashResponse<TResult>;
  }

  private async single(original: RedisCommand): Promise<UpstashResponse<unknown>> {
    const [name, ...args] = this.scripts.rewrite(original);
    try {
      const result: unknown = await this.connection.call(rawName(name), ...toArgs(args));
      return { result: this.scripts.reply(original, result) ?? null };
    } catch (error) {
      if (isReplyError(error)) return { error: error.message };
      throw this.transportFailure(error);
    }
  }

  private async batch(originals: RedisCommand[], transaction: boolean): Promise<UpstashResponse<unknown>[]> {
    const chain = transaction ? this.connection.multi() : this.connection.pipeline();
    for (const original of originals) {
      const [name, ...args] = this.scripts.rewrite(original);
      chain.call(rawName(name), ...toArgs(args));
    }
    let replies: [Error | null, unknown][] | null;
    try {
      replies = await chain.exec();
    } catch (error) {
      // A command Redis refused while queueing discards the whole transaction (EXECABORT); the
      // REST API answers that with an error for the request, which the client throws.
      if (isReplyError(error)) throw new errors.UpstashError(error.message);
      throw this.transportFailure(error);
    }
    if (!replies) throw new errors.UpstashError("EXECABORT The transaction was discarded");
    return replies.map(([error, result], i) => {
      if (!error) return { result: this.scripts.reply(originals[i]!, result) ?? null };
      if (isReplyError(error)) return { error: error.message };
      throw this.transportFailure(error);
    });
  }
}
