"use client";

import { useQuery } from "@tanstack/react-query";

import { useTRPC } from "~/trpc/react";

/**
 * The deployment's export limits (`config.limits`), for the texts that state them. They change
 * only with a restart, so they are fetched once per page load; undefined until they arrive,
 * when a text that needs them is left out rather than guessed.
 */
export function useExportLimits() {
  const trpc = useTRPC();
  return useQuery({ ...trpc.config.limits.queryOptions(), staleTime: Infinity }).data;
}
