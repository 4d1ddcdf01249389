"use client";

import { useMutation } from "@tanstack/react-query";
import { useCallback } from "react";

import { useTRPC } from "~/trpc/react";

/**
 * Hands a presigned link to the browser as a download. The storage answers with
 * Content-Disposition: attachment, so following the link saves the file and leaves this page
 * where it is; `download` names the file when the link is same-origin.
 */
export function saveFromUrl(url: string, fileName: string) {
  const link = document.createElement("a");
  link.href = url;
  link.download = fileName;
  link.rel = "noopener";
  link.hidden = true;
  document.body.appendChild(link);
  link.click();
  link.remove();
}

/**
 * A fresh link per click, never cached, so one is never stale. It lives EXPORT_LINK_TTL_SECONDS
 * or until the file is deleted, whichever is sooner: the row's countdown to the file's expiry bounds it.
 */
export function useDownloadExport(teamId: string) {
  const trpc = useTRPC();
  const mutation = useMutation(trpc.exports.downloadUrl.mutationOptions());
  const { mutateAsync } = mutation;
  const download = useCallback(
    async (exportId: string) => {
      const link = await mutateAsync({ teamId, exportId });
      saveFromUrl(link.url, link.fileName);
      return link;
    },
    [mutateAsync, teamId],
  );
  return { download, pending: mutation.isPending };
}
