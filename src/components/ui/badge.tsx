export type BadgeTone = "neutral" | "active" | "success" | "danger" | "warning";

const tones: Record<BadgeTone, { badge: string; dot: string }> = {
  neutral: { badge: "bg-slate-100 text-slate-700 ring-slate-300", dot: "bg-slate-500" },
  active: { badge: "bg-blue-50 text-blue-800 ring-blue-300", dot: "bg-blue-600" },
  success: { badge: "bg-green-50 text-green-800 ring-green-300", dot: "bg-green-600" },
  danger: { badge: "bg-red-50 text-red-800 ring-red-300", dot: "bg-red-600" },
  warning: { badge: "bg-amber-50 text-amber-900 ring-amber-300", dot: "bg-amber-500" },
};

/** A status word in a coloured pill. Colour backs up the word; it never stands in for it. */
export function Badge({ tone, pulse = false, children }: { tone: BadgeTone; pulse?: boolean; children: React.ReactNode }) {
  const style = tones[tone];
  return (
    <span className={`inline-flex items-center gap-1.5 rounded-full px-2.5 py-0.5 text-xs font-medium whitespace-nowrap ring-1 ring-inset ${style.badge}`}>
      <span aria-hidden="true" className={`size-1.5 rounded-full ${style.dot} ${pulse ? "motion-safe:animate-pulse" : ""}`} />
      {children}
    </span>
  );
}
