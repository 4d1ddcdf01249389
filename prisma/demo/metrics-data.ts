/**
 * The rows of the `demo_metrics` table that the demo data sources query: values that are
 * awkward for a CSV export (quotes, commas, CR/LF, emoji, formula-like prefixes, NULLs,
 * JSON, 20-digit decimals, bigints past 2^53). Each row depends only on its id, so a test
 * can recompute any row, or all of them, without reading the database.
 */
import { createRandom, type Random } from "./random";

export const DEMO_METRICS_TABLE = "demo_metrics";
export const DEMO_METRICS_ROW_COUNT = 5_000;

export interface DemoMetricRow {
  id: number;
  /** Text that tests CSV quoting and formula neutralisation; null or empty for some rows. */
  label: string | null;
  category: string;
  /** numeric(30,10) as PostgreSQL prints it: no leading zeros, exactly 10 decimals. */
  amount: string | null;
  /** bigint as decimal text: most values do not fit a JavaScript number. */
  quantity: string | null;
  is_active: boolean | null;
  payload: DemoPayload | null;
  /** Whole milliseconds, so that a JavaScript Date holds it exactly. */
  recorded_at: Date;
}

export interface DemoPayload {
  tags: string[];
  score: number;
  note: string;
}

const LABELS: ReadonlyArray<(id: number) => string | null> = [
  (id) => `Plain label ${id}`,
  (id) => `Widget "Deluxe", size ${id}`,
  (id) => `Line one\r\nline two (${id})`,
  (id) => `Line one\nline two (${id})`,
  (id) => `Zürich – café naïve ${id}`,
  (id) => `🚀 Launch 👩‍💻 ${id}`,
  (id) => `=HYPERLINK("http://evil.example/?id=${id}","click")`,
  (id) => `+${id} plus`,
  (id) => `-${id} minus`,
  (id) => `@SUM(A1:A${id})`,
  (id) => `\tTabbed ${id}`,
  (id) => `\rCarriage return ${id}`,
  () => null,
  () => "",
];

const CATEGORIES = ["alpha", "beta", "gamma", "δέλτα"] as const;
const TAGS = ["new", "returning", "vip", "trial", "churned", "🎯"] as const;
const NOTES = ['say "hi"', "a,b,c", "line\nbreak", "🎉 party", "=1+1"] as const;

const FIRST_RECORDED_AT = Date.UTC(2026, 0, 1);
const MINUTES_BETWEEN_ROWS = 90;
const SEED = 20_261_123;

function decimal(random: Random): string {
  if (random.chance(0.02)) return "0.0000000000";
  // numeric(30,10) leaves 20 digits before the point; the first is never 0.
  const integer = String(random.int(1, 9)) + random.digits(random.int(0, 19));
  return `${random.chance(0.2) ? "-" : ""}${integer}.${random.digits(10)}`;
}

function bigint(random: Random): string {
  const length = random.int(1, 19);
  // A 19-digit value starting with at most 8 stays below 2^63 - 1 = 9223372036854775807.
  const first = length === 19 ? random.int(1, 8) : random.int(1, 9);
  return `${random.chance(0.2) ? "-" : ""}${first}${random.digits(length - 1)}`;
}

export function demoMetricRow(id: number): DemoMetricRow {
  const random = createRandom(SEED ^ Math.imul(id, 0x9e3779b1));
  const label = LABELS[(id - 1) % LABELS.length]!(id);
  return {
    id,
    label,
    category: random.pick(CATEGORIES),
    amount: random.chance(0.05) ? null : decimal(random),
    quantity: random.chance(0.05) ? null : bigint(random),
    is_active: random.chance(0.1) ? null : random.chance(0.5),
    payload: random.chance(0.15)
      ? null
      : { tags: [random.pick(TAGS), random.pick(TAGS)], score: random.int(-1000, 1000), note: random.pick(NOTES) },
    recorded_at: new Date(FIRST_RECORDED_AT + (id * MINUTES_BETWEEN_ROWS + random.int(0, 59)) * 60_000 + random.int(0, 999)),
  };
}

export function demoMetricRows(count = DEMO_METRICS_ROW_COUNT): DemoMetricRow[] {
  return Array.from({ length: count }, (_, index) => demoMetricRow(index + 1));
}
