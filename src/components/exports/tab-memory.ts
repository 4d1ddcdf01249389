/**
 * Export ids this browser tab remembers across reloads (sessionStorage): the exports it
 * started, and those it already downloaded by itself.
 */
function idSet(key: string, limit = 200) {
  const read = (): Set<string> => {
    try {
      return new Set(JSON.parse(sessionStorage.getItem(key) ?? "[]") as string[]);
    } catch {
      return new Set();
    }
  };
  return {
    has: (id: string) => read().has(id),
    add(id: string) {
      try {
        sessionStorage.setItem(key, JSON.stringify([...read(), id].slice(-limit)));
      } catch {
        // Storage can be unavailable (private mode quotas); callers keep their own in-memory guard.
      }
    },
  };
}

export const startedInThisTab = idSet("export-center:started");
export const downloadedInThisTab = idSet("export-center:auto-downloaded");
