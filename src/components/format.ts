/**
 * Display formatting through Intl, in the browser's locale. Data-bearing views render on the
 * client only (their queries are not prefetched), so server and browser locales never meet
 * in one hydrated string.
 */

const integer = new Intl.NumberFormat(undefined, { maximumFractionDigits: 0 });
const dateTime = new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeStyle: "medium" });
const dateOnly = new Intl.DateTimeFormat(undefined, { dateStyle: "medium" });
const relative = new Intl.RelativeTimeFormat(undefined, { numeric: "auto" });
// "in 1 week", not "next week", for deadlines: the auto form reads like a calendar date.
const relativeExact = new Intl.RelativeTimeFormat(undefined, { numeric: "always" });

export function formatInteger(value: number): string {
  return integer.format(value);
}

const byteUnits = ["byte", "kilobyte", "megabyte", "gigabyte", "terabyte"] as const;
const byteFormats = byteUnits.map(
  (unit, i) => new Intl.NumberFormat(undefined, { style: "unit", unit, unitDisplay: i === 0 ? "long" : "short", maximumFractionDigits: i < 2 ? 0 : 1 }),
);

/** Decimal units (1 MB = 1,000,000 bytes), as storage providers and the 500 MB limit count them. */
export function formatBytes(bytes: number): string {
  let value = Math.max(0, bytes);
  let i = 0;
  while (value >= 1000 && i < byteUnits.length - 1) {
    value /= 1000;
    i++;
  }
  return byteFormats[i]!.format(value);
}

export function toDate(value: string | Date): Date {
  return value instanceof Date ? value : new Date(value);
}

export function formatDateTime(value: string | Date): string {
  return dateTime.format(toDate(value));
}

export function formatDate(value: string | Date): string {
  return dateOnly.format(toDate(value));
}

const relativeSteps: Array<[Intl.RelativeTimeFormatUnit, number]> = [
  ["second", 60],
  ["minute", 60],
  ["hour", 24],
  ["day", 7],
  ["week", 4.35],
  ["month", 12],
  ["year", Infinity],
];

/** "3 minutes ago", "yesterday"; "just now" under 10 seconds, where seconds would only flicker. */
export function formatRelative(value: string | Date, now: number, style: "auto" | "always" = "auto"): string {
  const format = style === "auto" ? relative : relativeExact;
  let delta = (toDate(value).getTime() - now) / 1000;
  if (Math.abs(delta) < 10) return "just now";
  for (const [unit, size] of relativeSteps) {
    // Compare after rounding, or 59.6 seconds would read "60 seconds ago" instead of "1 minute ago".
    if (Math.abs(Math.round(delta)) < size) return format.format(Math.round(delta), unit);
    delta /= size;
  }
  return format.format(Math.round(delta), "year");
}

/** A countdown as m:ss (h:mm:ss past an hour), for the file's remaining lifetime. */
export function formatCountdown(ms: number): string {
  const total = Math.max(0, Math.ceil(ms / 1000));
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = total % 60;
  const ss = String(s).padStart(2, "0");
  return h > 0 ? `${h}:${String(m).padStart(2, "0")}:${ss}` : `${m}:${ss}`;
}

const unitFormats = {
  second: new Intl.NumberFormat(undefined, { style: "unit", unit: "second", unitDisplay: "short", maximumFractionDigits: 0 }),
  minute: new Intl.NumberFormat(undefined, { style: "unit", unit: "minute", unitDisplay: "short", maximumFractionDigits: 0 }),
  hour: new Intl.NumberFormat(undefined, { style: "unit", unit: "hour", unitDisplay: "short", maximumFractionDigits: 0 }),
};

/** A rough duration for an ETA: "45 sec", "3 min", "1 hr 20 min". Precision below that is noise. */
export function formatDuration(ms: number): string {
  const seconds = Math.max(1, Math.round(ms / 1000));
  if (seconds < 60) return unitFormats.second.format(seconds);
  const minutes = Math.round(seconds / 60);
  if (minutes < 60) return unitFormats.minute.format(minutes);
  const hours = Math.floor(minutes / 60);
  const rest = minutes % 60;
  return rest ? `${unitFormats.hour.format(hours)} ${unitFormats.minute.format(rest)}` : unitFormats.hour.format(hours);
}
