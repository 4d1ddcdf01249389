/**
 * The format and compression a schedule may name, checked in this one place. Until the
 * formats work adds its shared schema (src/server/exports/formats/), these are the format
 * registry's keys, and no compression: swap both here when it lands.
 */
import { z } from "zod";

import { exportFormats } from "~/server/exports/formats";

const formats = Object.keys(exportFormats) as [keyof typeof exportFormats, ...(keyof typeof exportFormats)[]];

export const exportFormatSchema = z.enum(formats, { error: `must be one of ${formats.join(", ")}` });

export const exportCompressionSchema = z.enum(["none"], { error: "must be \"none\": compressed files are not available yet" });
