"use client";

import { useSubscription } from "@trpc/tanstack-react-query";
import { useEffect } from "react";

import { useExportCache } from "~/components/exports/export-cache";
import { useTRPC } from "~/trpc/react";

const RESUBSCRIBE_MS = 5000;

/**
 * One stream for the whole export center: every change of the team's jobs, written into the
 * exports.list cache, so every running row on the page moves live with a single connection, and
 * an export started elsewhere (a teammate, a token, a schedule) appears on top as it starts.
 * When the stream drops, httpSubscriptionLink reconnects from the last event id, and the list's
 * 3 s poll keeps the numbers moving meanwhile. Returns whether the stream is down.
 */
export function useTeamProgress(teamId: string): { interrupted: boolean } {
  const trpc = useTRPC();
  const cache = useExportCache(teamId);
  const stream = useSubscription(trpc.exports.onTeamProgress.subscriptionOptions({ teamId }, { onData: (event) => cache.arrived(event.data) }));

  // Read every field up front: the hook re-renders only for the fields it has seen read.
  const { status, error, reset } = stream;
  // The link retries dropped connections itself (status "connecting" with the last error); a
  // stream that ended in an error stays down, so start it again after a pause.
  const failed = status === "error";
  useEffect(() => {
    if (!failed) return;
    const timer = setTimeout(reset, RESUBSCRIBE_MS);
    return () => clearTimeout(timer);
  }, [failed, reset]);

  return { interrupted: status === "error" || (status === "connecting" && error !== null) };
}
