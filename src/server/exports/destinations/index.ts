/**
 * Where an export's file can go. A new destination is a file beside bucket.ts and a line
 * here. Every export goes to our bucket until a request can name its destination.
 */
import { bucketDestination } from "./bucket";
import type { ExportDestination } from "./export-destination";

export type { Delivery, ExportDestination } from "./export-destination";

export const exportDestinations = { bucket: bucketDestination } satisfies Record<string, ExportDestination>;

export const defaultDestination: ExportDestination = exportDestinations.bucket;
