/**
 * The V8 flags of the app's server (scripts/start.ts), which the benchmarks' servers and
 * workers run with too, so that their figures are the app's.
 *
 * `--heap-growing-percent=25`: after a full collection V8 lets the old generation grow to
 * about twice its live size before the next one. An export promotes a steady trickle of its
 * short-lived rows there (some 44 MB a million rows of JSON Lines), so peak RSS grew with the
 * file until it reached that ceiling, which a 100k-row export ends before. Collected at a
 * quarter above its live size instead, the old generation stays flat, at some cost in time for
 * the typed formats; 50 was faster but let a 1M-row export grow the server 22–27% above a
 * 100k-row one (README, "Formats: memory").
 */
export const serverNodeFlags = ["--heap-growing-percent=25"];
