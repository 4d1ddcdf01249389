/**
 * The most intervals open at once, for checks of a concurrency limit on the executor's record
 * of when each run held a slot (its start and end). An interval that ends when another starts
 * does not overlap it.
 */
export function maxOverlap(intervals: { start: number; end: number }[]): number {
  const edges = intervals.flatMap(({ start, end }) => [
    { at: start, delta: 1 },
    { at: end, delta: -1 },
  ]);
  edges.sort((a, b) => a.at - b.at || a.delta - b.delta);
  let open = 0;
  let max = 0;
  for (const edge of edges) max = Math.max(max, (open += edge.delta));
  return max;
}
