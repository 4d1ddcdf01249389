import { type APIRequestContext, expect, test } from "@playwright/test";

import { newestExport, startMetricExport, status } from "./support/exports";
import { DEMO_TEAM_ID, signIn, signInAsDemo } from "./support/session";

const METRIC = "Revenue by day";

type TrpcAnswer = { result?: { data: { json: { id?: string; url?: string } } }; error?: { json: { data: { code: string; httpStatus: number } } } };

/** One tRPC call without batching, superjson-encoded as the app's client sends it. */
async function callTrpc(request: APIRequestContext, procedure: "exports.get" | "exports.downloadUrl", input: { teamId: string; exportId: string }) {
  const encoded = { json: input };
  const response =
    procedure === "exports.get"
      ? await request.get(`/api/trpc/${procedure}?input=${encodeURIComponent(JSON.stringify(encoded))}`)
      : await request.post(`/api/trpc/${procedure}`, { data: encoded });
  return { status: response.status(), body: (await response.json()) as TrpcAnswer };
}

test("another team's member can neither see nor download the Demo Team's exports", async ({ page, browser }) => {
  const demoContext = await browser.newContext();
  const demo = await demoContext.newPage();
  await signInAsDemo(demo);
  const exportId = await startMetricExport(demo, METRIC);
  await expect(status(newestExport(demo), "Completed")).toBeVisible({ timeout: 30_000 });
  const job = { teamId: DEMO_TEAM_ID, exportId };

  // The same calls with the owner's session answer, so the refusals below are about who asks.
  const own = await callTrpc(demo.request, "exports.get", job);
  expect(own.status).toBe(200);
  expect(own.body.result?.data.json.id).toBe(exportId);
  const ownLink = await callTrpc(demo.request, "exports.downloadUrl", job);
  expect(ownLink.status).toBe(200);
  expect(ownLink.body.result?.data.json.url).toContain("X-Amz-Signature=");
  await demoContext.close();

  await signIn(page, "other@example.com", "other-password");
  await expect(page).toHaveURL("/seed_team_other/exports");
  await expect(page.getByRole("combobox", { name: "Team" }).getByRole("option")).toHaveText(["Other Team (Owner)"]);
  const response = await page.goto(`/${DEMO_TEAM_ID}/exports`);
  expect(response?.status()).toBe(404);

  for (const procedure of ["exports.get", "exports.downloadUrl"] as const) {
    const answer = await callTrpc(page.request, procedure, job);
    expect(answer.status, procedure).toBe(403);
    expect(answer.body.error?.json.data.code, procedure).toBe("FORBIDDEN");
    expect(answer.body.result, procedure).toBeUndefined();
  }
  // Nor through their own team: the id means nothing there.
  const viaOwnTeam = await callTrpc(page.request, "exports.downloadUrl", { teamId: "seed_team_other", exportId });
  expect(viaOwnTeam.body.error?.json.data.code).toBe("NOT_FOUND");
});
