/**
 * What a destination is: where an export's bytes go, and how they are reached and removed
 * afterwards. One file per destination under destinations/, listed in the registry
 * (destinations/index.ts).
 */
import type { Readable } from "node:stream";

export type Delivery = {
  /** Where the file goes, as `newKey` made it and the job records it. */
  key: string;
  fileName: string;
  contentType: string;
  body: Readable;
  /** Aborting stops the delivery and leaves nothing at the key. */
  signal: AbortSignal;
};

export interface ExportDestination {
  id: string;
  /** A fresh, unguessable key for a team's file that lives `lifetimeSeconds`. */
  newKey(teamId: string, fileName: string, lifetimeSeconds: number): string;
  /** Whether `key` is one of this team's: a step refuses to write anywhere else. */
  ownsKey(teamId: string, key: string): boolean;
  /** Receives the whole body; on any failure nothing is left at the key. The export's step retries it. */
  deliver(delivery: Delivery): Promise<void>;
  /** Removes a delivered file whose lifetime is over. The deletion run retries it. Idempotent. */
  expire(key: string): Promise<void>;
  /** Removes whatever a failed, cancelled or deleted export left at `key`, whole or in part. Idempotent. */
  discard(key: string): Promise<void>;
  /** Whether the delivered file is still there: one cheap lookup, no bytes read. */
  exists(key: string): Promise<boolean>;
  /** A link to the delivered file valid for `expiresInSeconds`; NOT_FOUND once the file is gone. */
  link(file: { key: string; name: string }, expiresInSeconds: number): Promise<{ url: string; expiresAt: Date }>;
}
