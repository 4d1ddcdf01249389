/**
 * A configured duration in words ("60 seconds", "2 minutes", "7 days"), in the largest unit
 * that divides it exactly, so that a limit is never shown rounded. Pure, so that the UI (in the
 * browser's locale) and the OpenAPI document (in English) state a limit the same way.
 */
const units = [
  ["day", 86_400],
  ["hour", 3_600],
  ["minute", 60],
  ["second", 1],
] as const;

export function durationInWords(seconds: number, locale?: string): string {
  const [unit, size] = units.find(([, size]) => seconds % size === 0) ?? units[units.length - 1]!;
  return new Intl.NumberFormat(locale, { style: "unit", unit, unitDisplay: "long", maximumFractionDigits: 3 }).format(seconds / size);
}
