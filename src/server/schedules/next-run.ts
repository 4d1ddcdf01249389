/**
 * When a schedule runs: its cron's five fields read in its IANA zone, computed by croner (the
 * library the local executor's cron triggers use too). Across DST changes croner follows
 * Vixie cron: a time that a spring-forward skips (02:30 on the night clocks jump from 02:00 to
 * 03:00) runs once, at the first valid time after the gap, and a time that fall-back repeats
 * runs once, at its first occurrence.
 */
import { Cron } from "croner";

/** A field of a schedule's timing that cannot be used, and why, in words fit to show. */
export type TimingProblem = { field: "cron" | "timezone"; message: string };

/** How many upcoming runs the minimum-interval check compares: every pattern within an hour or a day repeats many times among them. */
const RUNS_COMPARED = 500;

function isTimeZone(timezone: string): boolean {
  try {
    new Intl.DateTimeFormat("en-US", { timeZone: timezone });
    return true;
  } catch {
    return false;
  }
}

function cronOf(cron: string, timezone: string): Cron {
  return new Cron(cron, { timezone, mode: "5-part", paused: true });
}

/** What is wrong with a cron and zone for a schedule, or null; `minIntervalMinutes` is the closest two runs may be. */
export function timingProblem(cron: string, timezone: string, minIntervalMinutes: number): TimingProblem | null {
  if (!isTimeZone(timezone)) return { field: "timezone", message: `"${timezone}" is not an IANA time zone (e.g. Europe/Paris, America/New_York, UTC)` };
  // The zone is a field of its own; a TZ= prefix in the expression would contradict it.
  if (/^\s*(CRON_)?TZ=/.test(cron)) return { field: "cron", message: "Give the time zone in the timezone field, not as a TZ= prefix" };
  let schedule: Cron;
  try {
    schedule = cronOf(cron, timezone);
  } catch (error) {
    return { field: "cron", message: `Not a cron expression of five fields (minute hour day-of-month month day-of-week): ${(error as Error).message}` };
  }
  const runs = schedule.nextRuns(RUNS_COMPARED);
  if (runs.length === 0) return { field: "cron", message: "This cron expression never fires" };
  const minGapMs = runs.slice(1).reduce((min, run, i) => Math.min(min, run.getTime() - runs[i]!.getTime()), Number.POSITIVE_INFINITY);
  if (minGapMs < minIntervalMinutes * 60_000) {
    return { field: "cron", message: `Runs at most once every ${minIntervalMinutes} minutes are allowed; this cron fires ${Math.round(minGapMs / 60_000)} minute(s) apart` };
  }
  return null;
}

/** The first `count` runs strictly after `after`, as instants. */
export function nextRuns(cron: string, timezone: string, after: Date, count: number): Date[] {
  return cronOf(cron, timezone).nextRuns(count, after);
}

/** The first run strictly after `after`, or null if the cron never fires again. */
export function nextRunAfter(cron: string, timezone: string, after: Date): Date | null {
  return cronOf(cron, timezone).nextRun(after);
}
