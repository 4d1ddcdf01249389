/**
 * Who may cancel, delete or retry an export, on every interface that can: owners and admins
 * any export of the team, members their own, viewers none. Each cell of that table is tried
 * through tRPC as the UI and the typed client call it, and deletion through REST with a real
 * token; a refusal is FORBIDDEN (403) with a reason, and leaves the export as it was.
 *
 * The exports under test are job records made in the real job store (Redis), so that a
 * pending one stays pending; a retry that is allowed starts a real export through the local
 * executor.
 */
import { randomUUID } from "node:crypto";

import { TRPCError } from "@trpc/server";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

import type { Role } from "~/generated/prisma/client";

import { type ExportHarness, startExportHarness } from "./support/export-harness";
import { TEST_SOURCE_DATABASE_URL as PG_URL } from "./support/test-env";

type Whose = "own" | "teammate's";

// The table from the issue, written out rather than derived, so that the rule is checked against it.
const allowed: Record<Role, Record<Whose, boolean>> = {
  OWNER: { own: true, "teammate's": true },
  ADMIN: { own: true, "teammate's": true },
  MEMBER: { own: true, "teammate's": false },
  VIEWER: { own: false, "teammate's": false },
};
const roles = Object.keys(allowed) as Role[];

let harness: ExportHarness;
let fixtures: typeof import("./support/fixtures");
let store: import("~/server/exports/job/job-store").JobStore;
let team: Awaited<ReturnType<typeof import("./support/export-app").teamWithSource>>;
let metricId: string;
/** One user of each role, plus a member whose exports are the teammates' exports. */
const users = {} as Record<Role | "author", string>;

beforeAll(async () => {
  harness = await startExportHarness();
  const app = await import("./support/export-app");
  fixtures = await import("./support/fixtures");
  store = (await import("~/server/services")).getJobStore();
  team = await app.teamWithSource("POSTGRES", { url: PG_URL });
  metricId = (await team.metric("SELECT 1 AS one")).id;
  users.OWNER = team.user.id;
  for (const role of ["ADMIN", "MEMBER", "VIEWER"] as const) users[role] = (await fixtures.addMember(team.id, role)).id;
  users.author = (await fixtures.addMember(team.id, "MEMBER")).id;
}, 120_000);

afterAll(async () => {
  await harness?.close();
});

/** An export record of `userId`: pending (running, as far as anyone can tell) or failed. */
async function exportOf(userId: string, status: "PENDING" | "FAILED"): Promise<string> {
  const id = randomUUID();
  await store.create({ id, type: "metric", resourceId: metricId, resourceName: "One", userId, teamId: team.id, channel: "UI" });
  if (status === "FAILED") await store.transition(id, "FAILED", { error: "The data source timed out" });
  return id;
}

function ownerOf(actor: Role, whose: Whose): string {
  return whose === "own" ? users[actor] : users.author;
}

async function refusal(promise: Promise<unknown>): Promise<TRPCError> {
  const error = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(TRPCError);
  return error as TRPCError;
}

const cells = roles.flatMap((role) => (["own", "teammate's"] as const).map((whose) => ({ role, whose, ok: allowed[role][whose] })));

describe("tRPC: who may change an export", () => {
  it.each(cells)("a $role cancelling a $whose export: allowed is $ok", async ({ role, whose, ok }) => {
    const exportId = await exportOf(ownerOf(role, whose), "PENDING");
    const trpc = fixtures.trpcAs(fixtures.sessionCaller(users[role]));
    const call = trpc.exports.cancel({ teamId: team.id, exportId });
    if (ok) {
      expect((await call).status).toBe("CANCELLED");
      return;
    }
    const error = await refusal(call);
    expect(error.code).toBe("FORBIDDEN");
    expect(error.message).toMatch(/cancel/);
    expect((await store.get(exportId))?.status).toBe("PENDING");
  });

  it.each(cells)("a $role deleting a $whose export: allowed is $ok", async ({ role, whose, ok }) => {
    // A running export: deleting it would cancel it first, so a refusal must come before that.
    const exportId = await exportOf(ownerOf(role, whose), "PENDING");
    const trpc = fixtures.trpcAs(fixtures.sessionCaller(users[role]));
    const call = trpc.exports.delete({ teamId: team.id, exportId });
    if (ok) {
      await call;
      expect(await store.get(exportId)).toBeNull();
      return;
    }
    const error = await refusal(call);
    expect(error.code).toBe("FORBIDDEN");
    expect(error.message).toMatch(/delete/);
    expect((await store.get(exportId))?.status).toBe("PENDING");
  });

  it.each(cells)("a $role retrying a $whose export: allowed is $ok", async ({ role, whose, ok }) => {
    const exportId = await exportOf(ownerOf(role, whose), "FAILED");
    const trpc = fixtures.trpcAs(fixtures.sessionCaller(users[role]));
    const before = await store.list({ teamId: team.id }, { limit: 1 });
    const call = trpc.exports.retry({ teamId: team.id, exportId });
    if (ok) {
      const started = await call;
      expect(started).toMatchObject({ type: "metric", resourceId: metricId, userId: users[role], teamId: team.id });
      expect(started.id).not.toBe(exportId);
      return;
    }
    const error = await refusal(call);
    expect(error.code).toBe("FORBIDDEN");
    expect(error.message).toMatch(/retry/);
    expect((await store.list({ teamId: team.id }, { limit: 1 })).total).toBe(before.total);
    expect((await store.get(exportId))?.status).toBe("FAILED");
  });

  it("says why, in words a viewer and a member can act on", async () => {
    const teammates = await exportOf(users.author, "FAILED");
    const asViewer = await refusal(fixtures.trpcAs(fixtures.sessionCaller(users.VIEWER)).exports.delete({ teamId: team.id, exportId: teammates }));
    expect(asViewer.message).toBe("Viewers cannot delete exports; ask a member, an admin or an owner of the team");
    const asMember = await refusal(fixtures.trpcAs(fixtures.sessionCaller(users.MEMBER)).exports.retry({ teamId: team.id, exportId: teammates }));
    expect(asMember.message).toBe("Only the person who started this export, an admin or an owner can retry it");
  });

  it("holds for a typed client's token as for a browser session", async () => {
    const exportId = await exportOf(users.author, "PENDING");
    const token = await fixtures.tokenFor(users.MEMBER, team.id);
    const { verifyApiToken } = await import("~/server/auth/api-tokens");
    const { tokenId } = await verifyApiToken(token);
    const trpc = fixtures.trpcAs({ userId: users.MEMBER, via: "token", tokenId, tokenTeamId: team.id }, "CLIENT");
    expect((await refusal(trpc.exports.cancel({ teamId: team.id, exportId }))).code).toBe("FORBIDDEN");
    expect((await store.get(exportId))?.status).toBe("PENDING");
  });
});

describe("REST: DELETE /api/teams/:teamId/export-jobs/:exportId", () => {
  let route: typeof import("~/app/api/teams/[teamId]/export-jobs/[exportId]/route");
  beforeAll(async () => {
    route = await import("~/app/api/teams/[teamId]/export-jobs/[exportId]/route");
  });

  const remove = async (userId: string, exportId: string) =>
    route.DELETE(
      new Request(`http://test/api/teams/${team.id}/export-jobs/${exportId}`, {
        method: "DELETE",
        headers: { authorization: `Bearer ${await fixtures.tokenFor(userId, team.id)}` },
      }),
      { params: Promise.resolve({ teamId: team.id, exportId }) },
    );

  it.each(cells)("a $role deleting a $whose export: allowed is $ok", async ({ role, whose, ok }) => {
    const exportId = await exportOf(ownerOf(role, whose), "PENDING");
    const response = await remove(users[role], exportId);
    if (ok) {
      expect(response.status).toBe(204);
      expect(await store.get(exportId)).toBeNull();
      return;
    }
    expect(response.status).toBe(403);
    expect(await response.json()).toMatchObject({ code: "forbidden", message: expect.stringMatching(/delete/) });
    expect((await store.get(exportId))?.status).toBe("PENDING");
  });
});
