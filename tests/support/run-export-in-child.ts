/**
 * A worker process to kill: runs the metric export for EXPORT_EVENT (JSON) through its real
 * steps, with the environment it inherits (the test's databases, Redis and s3rver), and says
 * "running" on stdout once started. A test SIGKILLs it mid-step, as an app dies in a crash.
 *
 *   EXPORT_EVENT='{"name":"export/metric.requested","data":{…}}' tsx tests/support/run-export-in-child.ts
 */
import { InngestTestEngine } from "@inngest/test";

import { exportMetricData } from "~/server/jobs/functions/export-metric-data";

const event = JSON.parse(process.env.EXPORT_EVENT ?? "null") as { name: string; data: Record<string, unknown> } | null;
if (!event) throw new Error("EXPORT_EVENT is not set");
console.log("running");
const { error } = await new InngestTestEngine({ function: exportMetricData, events: [event] }).execute();
console.log(error ? `failed: ${String((error as Error).message)}` : "completed");
