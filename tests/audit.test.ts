/**
 * The audit log reader (`audit.list`) on the real PostgreSQL: who may read it, keyset paging,
 * each filter, and the row that a real export, run by the local executor, leaves behind.
 */
import { randomUUID } from "node:crypto";

import { TRPCError } from "@trpc/server";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

import type { ExportOutcome } from "~/generated/prisma/client";
import type { ExportChannel, ExportKind } from "~/server/exports/job/export-job";

import { type ExportHarness, startExportHarness } from "./support/export-harness";
import { TEST_SOURCE_DATABASE_URL as PG_URL } from "./support/test-env";


let harness: ExportHarness;
let app: typeof import("./support/export-app");
let fixtures: typeof import("./support/fixtures");
let db: typeof import("~/server/db").db;

beforeAll(async () => {
  harness = await startExportHarness();
  app = await import("./support/export-app");
  fixtures = await import("./support/fixtures");
  ({ db } = await import("~/server/db"));
}, 120_000);

afterAll(async () => {
  await harness?.close();
});

async function trpcError(promise: Promise<unknown>): Promise<TRPCError> {
  const error = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(TRPCError);
  return error as TRPCError;
}

type Seed = { userId: string; kind: ExportKind; channel: ExportChannel; outcome: ExportOutcome; resourceName: string; createdAt: Date };

/** Audit rows written directly, with chosen times: several share one millisecond, to test the id tie-break. */
async function seedEvents(teamId: string, seeds: Seed[]) {
  return Promise.all(
    seeds.map((s) =>
      db.exportAuditEvent.create({
        data: { exportId: randomUUID(), teamId, resourceId: `res-${randomUUID().slice(0, 8)}`, rows: 1, bytes: 10n, durationMs: 5, ...s },
        select: { id: true, createdAt: true, userId: true, kind: true, channel: true, outcome: true, resourceName: true },
      }),
    ),
  );
}

const newestFirst = <T extends { createdAt: Date; id: string }>(rows: T[]) =>
  [...rows].sort((a, b) => b.createdAt.getTime() - a.createdAt.getTime() || (a.id < b.id ? 1 : a.id > b.id ? -1 : 0));

describe("audit.list", () => {
  let team: Awaited<ReturnType<typeof createSeededTeam>>;

  async function createSeededTeam() {
    const { team, user: owner } = await fixtures.createTeamWithUser("OWNER");
    const admin = await fixtures.addMember(team.id, "ADMIN");
    const member = await fixtures.addMember(team.id, "MEMBER");
    const base = Date.parse("2024-05-01T10:00:00.000Z");
    const kinds: ExportKind[] = ["metric", "document", "dataroom", "dataroom-group"];
    const channels: ExportChannel[] = ["UI", "CLIENT", "REST"];
    const outcomes: ExportOutcome[] = ["STARTED", "COMPLETED", "FAILED", "CANCELLED"];
    const seeds = Array.from({ length: 23 }, (_, i) => ({
      userId: i % 4 === 0 ? member.id : owner.id,
      kind: kinds[i % 4]!,
      channel: channels[i % 3]!,
      outcome: outcomes[(i + 1) % 4]!,
      resourceName: i % 5 === 0 ? `Quarterly Revenue ${i}` : `Visits of doc ${i}`,
      // Groups of three share one instant, spaced an hour apart.
      createdAt: new Date(base + Math.floor(i / 3) * 3_600_000),
    }));
    const events = await seedEvents(team.id, seeds);
    return { team, owner, admin, member, events, base };
  }

  beforeAll(async () => {
    team = await createSeededTeam();
    // Another team's events must never leak into this one's pages.
    const other = await fixtures.createTeamWithUser("OWNER");
    await seedEvents(other.team.id, [
      { userId: other.user.id, kind: "metric", channel: "UI", outcome: "COMPLETED", resourceName: "Quarterly Revenue other", createdAt: new Date(team.base) },
    ]);
  });

  it("lets owners and admins read, and refuses members, viewers, strangers, foreign tokens and anonymous callers", async () => {
    const asOwner = await fixtures.trpcAs(fixtures.sessionCaller(team.owner.id)).audit.list({ teamId: team.team.id });
    expect(asOwner.items).toHaveLength(23);
    expect(asOwner.nextCursor).toBeNull();
    const asAdmin = await fixtures.trpcAs(fixtures.sessionCaller(team.admin.id)).audit.list({ teamId: team.team.id });
    expect(asAdmin.items.map((e) => e.id)).toEqual(asOwner.items.map((e) => e.id));

    const viewer = await fixtures.addMember(team.team.id, "VIEWER");
    const stranger = await fixtures.createTeamWithUser("OWNER");
    const foreignToken = { userId: team.owner.id, via: "token" as const, tokenId: "t", tokenTeamId: stranger.team.id };
    const refusals: [string, () => Promise<unknown>, string][] = [
      ["member", () => fixtures.trpcAs(fixtures.sessionCaller(team.member.id)).audit.list({ teamId: team.team.id }), "FORBIDDEN"],
      ["viewer", () => fixtures.trpcAs(fixtures.sessionCaller(viewer.id)).audit.list({ teamId: team.team.id }), "FORBIDDEN"],
      ["owner of another team", () => fixtures.trpcAs(fixtures.sessionCaller(stranger.user.id)).audit.list({ teamId: team.team.id }), "FORBIDDEN"],
      ["owner's token for another team", () => fixtures.trpcAs(foreignToken).audit.list({ teamId: team.team.id }), "FORBIDDEN"],
      ["anonymous", () => fixtures.trpcAs(null).audit.list({ teamId: team.team.id }), "UNAUTHORIZED"],
    ];
    for (const [who, call, code] of refusals) expect((await trpcError(call())).code, who).toBe(code);
  });

  it("returns who, what and how, with bytes as a plain number", async () => {
    const { items } = await fixtures.trpcAs(fixtures.sessionCaller(team.owner.id)).audit.list({ teamId: team.team.id, limit: 1 });
    expect(items[0]).toMatchObject({ bytes: 10, rows: 1, durationMs: 5, user: { id: expect.any(String), email: expect.stringContaining("@example.test") } });
    expect(typeof items[0]!.bytes).toBe("number");
  });

  it("pages through every event exactly once, newest first, ties broken by id", async () => {
    const trpc = fixtures.trpcAs(fixtures.sessionCaller(team.owner.id));
    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const page: Awaited<ReturnType<typeof trpc.audit.list>> = await trpc.audit.list({ teamId: team.team.id, limit: 5, cursor });
      expect(page.items.length).toBeLessThanOrEqual(5);
      seen.push(...page.items.map((e) => e.id));
      cursor = page.nextCursor;
      pages++;
    } while (cursor);
    expect(pages).toBe(5);
    expect(seen).toEqual(newestFirst(team.events).map((e) => e.id));
  });

  it("a page ends where the next begins even when one instant spans the boundary", async () => {
    const trpc = fixtures.trpcAs(fixtures.sessionCaller(team.owner.id));
    // The newest instant holds two events and the next one three, so a page of three ends inside the second.
    const first = await trpc.audit.list({ teamId: team.team.id, limit: 3 });
    const second = await trpc.audit.list({ teamId: team.team.id, limit: 3, cursor: first.nextCursor });
    expect(first.items[2]!.createdAt).toEqual(second.items[0]!.createdAt);
    expect([...first.items, ...second.items].map((e) => e.id)).toEqual(newestFirst(team.events).slice(0, 6).map((e) => e.id));
  });

  it("refuses a bad cursor and a page size over 100", async () => {
    const trpc = fixtures.trpcAs(fixtures.sessionCaller(team.owner.id));
    expect((await trpcError(trpc.audit.list({ teamId: team.team.id, cursor: "not-a-cursor" }))).code).toBe("BAD_REQUEST");
    expect((await trpcError(trpc.audit.list({ teamId: team.team.id, limit: 101 }))).code).toBe("BAD_REQUEST");
  });

  it("each filter keeps exactly the matching events", async () => {
    const trpc = fixtures.trpcAs(fixtures.sessionCaller(team.owner.id));
    const from = new Date(team.base + 2 * 3_600_000);
    const to = new Date(team.base + 5 * 3_600_000);
    const cases: [string, Parameters<typeof trpc.audit.list>[0], (e: (typeof team.events)[number]) => boolean][] = [
      ["outcome", { teamId: team.team.id, outcome: "FAILED" }, (e) => e.outcome === "FAILED"],
      ["kind", { teamId: team.team.id, kind: "dataroom-group" }, (e) => e.kind === "dataroom-group"],
      ["channel", { teamId: team.team.id, channel: "REST" }, (e) => e.channel === "REST"],
      ["user", { teamId: team.team.id, userId: team.member.id }, (e) => e.userId === team.member.id],
      ["from (inclusive)", { teamId: team.team.id, from }, (e) => e.createdAt >= from],
      ["to (exclusive)", { teamId: team.team.id, to }, (e) => e.createdAt < to],
      ["resource, any case", { teamId: team.team.id, resource: "quarterly revenue" }, (e) => e.resourceName?.startsWith("Quarterly Revenue") === true],
      [
        "all together",
        { teamId: team.team.id, from, to, channel: "UI", userId: team.owner.id },
        (e) => e.createdAt >= from && e.createdAt < to && e.channel === "UI" && e.userId === team.owner.id,
      ],
    ];
    for (const [name, input, keep] of cases) {
      const expected = newestFirst(team.events.filter(keep)).map((e) => e.id);
      expect(expected.length, `${name} keeps some but not all`).toBeGreaterThan(0);
      expect(expected.length, `${name} keeps some but not all`).toBeLessThan(team.events.length);
      const { items } = await trpc.audit.list(input);
      expect(items.map((e) => e.id), name).toEqual(expected);
    }
  });

  it("shows a real export's row: completed, with its rows, bytes, duration and channel", async () => {
    const exporter = await app.teamWithSource("POSTGRES", { url: PG_URL });
    const metric = await exporter.metric("SELECT g AS n FROM generate_series(1, 321) g", "Audit probe");
    const job = await exporter.exportAndWait(metric.id);
    expect(job.status).toBe("COMPLETED");
    const failing = await exporter.metric("SELEKT broken");
    const failed = await exporter.exportAndWait(failing.id);
    expect(failed.status).toBe("FAILED");

    const { items } = await exporter.trpc.audit.list({ teamId: exporter.id });
    expect(items.map((e) => e.exportId)).toEqual([failed.id, job.id]);
    const [failedRow, completedRow] = items;
    expect(completedRow).toMatchObject({
      kind: "metric",
      resourceId: metric.id,
      resourceName: "Audit probe",
      channel: "UI",
      outcome: "COMPLETED",
      rows: 321,
      bytes: job.file!.size,
      truncated: false,
      error: null,
      user: { id: exporter.user.id, email: exporter.user.email, name: "Test User" },
    });
    expect(completedRow!.durationMs).toBeGreaterThan(0);
    expect(completedRow!.finishedAt!.getTime()).toBeGreaterThanOrEqual(completedRow!.createdAt.getTime());
    expect(failedRow).toMatchObject({ outcome: "FAILED", error: expect.stringContaining("syntax error") });
  });
});
