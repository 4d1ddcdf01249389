import { describe, expect, it } from "vitest";

import { errorPage, wantsPage } from "./error-page";

describe("errorPage", () => {
  it("shows the status and the message, escaped, as a page that is not cached", async () => {
    const page = errorPage(410, `The export failed (<script>alert("x")</script> & more), so it has no file`);
    expect(page.status).toBe(410);
    expect(page.headers.get("content-type")).toBe("text/html; charset=utf-8");
    expect(page.headers.get("cache-control")).toBe("no-store");
    const html = await page.text();
    expect(html).toContain("<title>410: Gone</title>");
    expect(html).toContain("The export failed (&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; more), so it has no file");
    expect(html).not.toContain("<script>");
  });

  it("tells a browser's navigation from a program's call by its Accept header", () => {
    expect(wantsPage(new Headers({ accept: "text/html,application/xhtml+xml,*/*;q=0.8" }))).toBe(true);
    expect(wantsPage(new Headers({ accept: "*/*" }))).toBe(false);
    expect(wantsPage(new Headers({ accept: "application/json" }))).toBe(false);
    expect(wantsPage(new Headers())).toBe(false);
  });
});
