"use client";

import { useCallback, useRef } from "react";

/**
 * Runs an async action unless the previous one is still going. A mutation's isPending reaches
 * React a tick after mutate() (React Query notifies on a timer), so a fast double click gets
 * past a `disabled={isPending}` button; this ref closes that gap synchronously.
 */
export function useSingleFlight() {
  const busy = useRef(false);
  return useCallback((action: () => Promise<unknown>) => {
    if (busy.current) return;
    busy.current = true;
    // Failures are shown from the mutation's own state; here they only end the flight.
    action()
      .catch(() => {})
      .finally(() => {
        busy.current = false;
      });
  }, []);
}
