/**
 * Runs `fn` over `items` with at most `width` running at once and returns the results in
 * input order. The first failure aborts the signal passed to the running tasks and stops
 * new ones from starting, so a doomed export does not keep spending the shared rate limit.
 */
export async function mapConcurrent<T, R>(
  items: readonly T[],
  width: number,
  fn: (item: T, signal: AbortSignal) => Promise<R>,
  signal?: AbortSignal,
): Promise<R[]> {
  const controller = new AbortController();
  const combined = signal ? AbortSignal.any([signal, controller.signal]) : controller.signal;
  const results = new Array<R>(items.length);
  let next = 0;
  let failure: { error: unknown } | undefined;

  const worker = async () => {
    while (failure === undefined && next < items.length) {
      const index = next++;
      try {
        results[index] = await fn(items[index] as T, combined);
      } catch (error) {
        // Keep the first error: the later ones are mostly the aborts it caused.
        failure ??= { error };
        controller.abort();
      }
    }
  };

  await Promise.all(Array.from({ length: Math.max(1, Math.min(width, items.length)) }, worker));
  if (failure) throw signal?.aborted ? signal.reason : failure.error;
  return results;
}
