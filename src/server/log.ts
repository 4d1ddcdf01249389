/**
 * Structured logs: one JSON object per line on stdout, so operators can grep or ship them.
 * Callers pass figures and ids, never credentials or row data.
 */
type Level = "info" | "warn" | "error";

export function log(level: Level, msg: string, fields: Record<string, unknown> = {}): void {
  const line = JSON.stringify({ time: new Date().toISOString(), level, msg, ...fields });
  if (level === "error") console.error(line);
  else console.log(line);
}
