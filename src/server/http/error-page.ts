/**
 * An error as a small HTML page, for a browser that navigated to a URL rather than called it:
 * a page, or an `<a download>` link to an export's file, where a JSON body would be shown raw
 * or saved as the file itself.
 */
const titles: Record<number, string> = {
  400: "Bad request",
  401: "Sign in required",
  403: "Forbidden",
  404: "Not found",
  405: "Method not allowed",
  409: "Not ready yet",
  410: "Gone",
  429: "Too many requests",
};

const escapes: Record<string, string> = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" };
const escapeHtml = (text: string) => text.replace(/[&<>"']/g, (c) => escapes[c]!);

/** Whether the client asked for a page: a browser's navigation sends `Accept: text/html, …`, fetch() sends `*\/*`. */
export function wantsPage(headers: Headers): boolean {
  return (headers.get("accept") ?? "").toLowerCase().includes("text/html");
}

export function errorPage(status: number, message: string, headers: Record<string, string> = {}): Response {
  const title = `${status}: ${titles[status] ?? (status >= 500 ? "Something went wrong" : "Error")}`;
  const html =
    `<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>${title}</title></head>` +
    `<body><h1>${title}</h1><p>${escapeHtml(message)}</p><p><a href="/">Go to Export Center</a></p></body></html>`;
  return new Response(html, { status, headers: { "Content-Type": "text/html; charset=utf-8", "Cache-Control": "no-store", ...headers } });
}
