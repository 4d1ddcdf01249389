/**
 * One Redis connection in subscriber mode for the whole process (ioredis, over TCP), shared by
 * every listener: a channel is subscribed once, however many listen to it, and unsubscribed when
 * the last one leaves. A connection in subscriber mode can run no other command, so it is
 * separate from the client's command connection.
 */
import { Redis as IORedis } from "ioredis";

import { log } from "~/server/log";

export type ChannelListener = {
  message(payload: string): void;
  /** Messages may have been missed (the connection was re-established): read the state afresh. */
  resync(): void;
};

export type ChangeSubscriber = {
  /** Resolves once the channel is subscribed, so nothing published after that is missed. */
  listen(channel: string, listener: ChannelListener): Promise<() => void>;
};

export function createSubscriber(redisUrl: string): ChangeSubscriber {
  return subscriberOn(new IORedis(redisUrl, { connectionName: "export-center-subscriber", maxRetriesPerRequest: null }));
}

/** The subscriber on a connection of its own, which nothing else may use. */
export function subscriberOn(connection: IORedis): ChangeSubscriber {
  const channels = new Map<string, Set<ChannelListener>>();
  let connectedOnce = false;

  connection.on("error", (error: Error) => log("warn", "redis.subscriber_failed", { error: error.message }));
  connection.on("ready", () => {
    // ioredis re-subscribes by itself after a reconnect; what was published in between is lost.
    if (connectedOnce) for (const listeners of channels.values()) for (const l of listeners) l.resync();
    connectedOnce = true;
  });
  connection.on("message", (channel: string, payload: string) => {
    for (const listener of channels.get(channel) ?? []) listener.message(payload);
  });

  // ioredis writes a SUBSCRIBE at once while the socket is up but not yet ready; the connection
  // is then in subscriber mode, and its own ready check and SELECT fail ("Connection in
  // subscriber mode"). So a subscription waits for the connection to be ready.
  const ready = () => (connection.status === "ready" ? Promise.resolve() : new Promise<void>((resolve) => connection.once("ready", () => resolve())));

  return {
    async listen(channel, listener) {
      let listeners = channels.get(channel);
      if (!listeners) {
        listeners = new Set();
        channels.set(channel, listeners);
      }
      listeners.add(listener);
      try {
        // Subscribing an already subscribed channel is a no-op for Redis, and it tells this
        // listener when the subscription is in place.
        await ready();
        await connection.subscribe(channel);
      } catch (error) {
        listeners.delete(listener);
        throw error;
      }
      return () => {
        const current = channels.get(channel);
        if (!current?.delete(listener) || current.size) return;
        channels.delete(channel);
        connection.unsubscribe(channel).catch(() => {});
      };
    },
  };
}
