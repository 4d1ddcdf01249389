/**
 * The request gate in front of Next's router (src/server/http/request-gate.ts), table-driven:
 * which request lines it refuses and how. e2e/hostile-requests.spec.ts replays the same
 * attacks against the built app; this file covers every spelling quickly, and keeps the
 * gate's table of API routes identical to the route files under src/app/api.
 */
import { readdirSync, readFileSync, statSync } from "node:fs";
import path from "node:path";

import ts from "typescript";
import { describe, expect, it } from "vitest";

import { apiRoutes } from "~/server/http/api-routes";
import { refuseBeforeRouting } from "~/server/http/request-gate";

const HANDLER_METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE"];

function routeFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const full = path.join(dir, name);
    if (statSync(full).isDirectory()) return routeFiles(full);
    return name === "route.ts" ? [full] : [];
  });
}

/**
 * The names a module exports, read from its source rather than by importing it (next-auth's
 * route cannot be imported outside Next): `export const GET`, `export function GET`,
 * `export const { GET, POST } = …` and `export { handler as GET } (from …)`.
 */
function exportedNames(file: string): string[] {
  const source = ts.createSourceFile(file, readFileSync(file, "utf8"), ts.ScriptTarget.Latest);
  const names: string[] = [];
  const exported = (node: ts.Node) => ts.canHaveModifiers(node) && (ts.getModifiers(node) ?? []).some((m) => m.kind === ts.SyntaxKind.ExportKeyword);
  for (const statement of source.statements) {
    if (ts.isExportDeclaration(statement) && statement.exportClause && ts.isNamedExports(statement.exportClause)) {
      names.push(...statement.exportClause.elements.map((e) => e.name.text));
    } else if (ts.isFunctionDeclaration(statement) && exported(statement) && statement.name) {
      names.push(statement.name.text);
    } else if (ts.isVariableStatement(statement) && exported(statement)) {
      for (const declaration of statement.declarationList.declarations) {
        if (ts.isIdentifier(declaration.name)) names.push(declaration.name.text);
        else if (ts.isObjectBindingPattern(declaration.name)) names.push(...declaration.name.elements.map((e) => e.name.getText(source)));
      }
    }
  }
  return names;
}

describe("the table of API routes", () => {
  it("lists every route under src/app/api with exactly the handlers it exports", () => {
    const root = path.resolve("src/app");
    const found = routeFiles(path.join(root, "api")).map((file) => ({
      path: `/${path.relative(root, path.dirname(file)).split(path.sep).join("/")}`,
      methods: exportedNames(file).filter((name) => HANDLER_METHODS.includes(name)),
    }));
    const sort = (routes: readonly { path: string; methods: readonly string[] }[]) =>
      [...routes].map((r) => ({ path: r.path, methods: [...r.methods].sort() })).sort((a, b) => a.path.localeCompare(b.path));
    expect(found.length).toBeGreaterThan(10);
    expect(sort(apiRoutes)).toEqual(sort(found));
  });
});

type Expected = { status: number; code?: string; allow?: string; html?: boolean } | null;

const cases: [method: string, target: string, expected: Expected][] = [
  // Percent-escapes that do not decode, anywhere in the path.
  ["GET", "/api/v2/metric_files/%ZZ/download", { status: 400, code: "bad_request" }],
  ["GET", "/api/v2/metric_files/%FF/download", { status: 400, code: "bad_request" }],
  ["GET", "/api/v2/metric_files/%C0%AF/download", { status: 400, code: "bad_request" }],
  ["GET", "/api/v2/metric_files/%/download", { status: 400, code: "bad_request" }],
  ["GET", "/api/v2/metric_files/abc%2/download", { status: 400, code: "bad_request" }],
  ["GET", "/api/trpc/exports.get%ED%A0%80", { status: 400, code: "bad_request" }],
  ["GET", "/signin%ZZ", { status: 400, html: true }],
  ["GET", "/_next/static/%", { status: 400, html: true }],
  // Dot segments in every spelling, and backslashes, which the URL parser reads as slashes.
  ["POST", "/api/teams/t/datarooms/d/groups/%2e%2e/export-visits", { status: 400, code: "bad_request" }],
  ["POST", "/api/teams/t/datarooms/d/groups/%2E%2E/export-visits", { status: 400, code: "bad_request" }],
  ["POST", "/api/teams/t/datarooms/d/groups/.%2e/export-visits", { status: 400, code: "bad_request" }],
  ["POST", "/api/teams/t/datarooms/d/groups/%2e./export-visits", { status: 400, code: "bad_request" }],
  ["POST", "/api/teams/t/datarooms/d/groups/../export-visits", { status: 400, code: "bad_request" }],
  ["POST", "/api/teams/t/datarooms/d/groups/g/%2e/export-visits", { status: 400, code: "bad_request" }],
  ["POST", "/api/teams/t/datarooms/d/groups\\..\\export-visits", { status: 400, code: "bad_request" }],
  ["GET", "/api/teams/t/export-jobs/..", { status: 400, code: "bad_request" }],
  ["GET", "http://example.test/api/teams/t/export-jobs/%2e%2e?x=1", { status: 400, code: "bad_request" }],
  ["GET", "/t/exports/%2e%2e", { status: 400, html: true }],
  // Methods a route does not serve, in the error shape with its Allow.
  ["TRACE", "/api/trpc/exports.list", { status: 405, code: "method_not_allowed", allow: "GET, POST" }],
  ["CONNECT", "/api/trpc/exports.list", { status: 405, code: "method_not_allowed", allow: "GET, POST" }],
  ["PROPFIND", "/api/teams/t/export-jobs", { status: 405, code: "method_not_allowed", allow: "GET" }],
  ["PUT", "/api/teams/t/export-jobs/e", { status: 405, code: "method_not_allowed", allow: "GET, PATCH, DELETE" }],
  ["PUT", "/api/teams/t/documents/d/export-visits", { status: 405, code: "method_not_allowed", allow: "GET, POST" }],
  ["POST", "/api/teams/t/datarooms/d/views-count", { status: 405, code: "method_not_allowed", allow: "GET" }],
  ["HEAD", "/api/teams/t/datarooms/d/export-visits", null],
  ["TRACE", "/api/v2/metrics/m/download", { status: 405, code: "method_not_allowed", allow: "GET" }],
  ["TRACE", "/api/no-such-thing", { status: 404, code: "not_found" }],
  ["TRACE", "/signin", { status: 405, allow: "GET, HEAD, POST", html: true }],
  // What the app serves goes through untouched, to Next (and to the route's own HEAD refusal).
  ["GET", "/api/v2/metric_files/%61bc/download", null],
  ["HEAD", "/api/v2/metric_files/m/download", null],
  ["OPTIONS", "/api/teams/t/export-jobs", null],
  ["POST", "/api/teams/t/datarooms/d/groups/g/export-visits", null],
  ["GET", "/api/teams/t/export-jobs/e?download=true&q=%ZZ", null],
  ["GET", "/api/auth/callback/credentials", null],
  ["PUT", "/api/inngest", null],
  ["GET", "/t/exports/..x", null],
  ["GET", "/_next/static/chunks/a.js", null],
  ["PUT", "/api/no-such-thing", null],
];

describe("refuseBeforeRouting", () => {
  it.each(cases)("%s %s", async (method, target, expected) => {
    const answer = refuseBeforeRouting(method, target);
    if (!expected) return expect(answer).toBeNull();
    expect(answer?.status).toBe(expected.status);
    expect(answer?.headers.get("allow") ?? undefined).toBe(expected.allow);
    if (expected.html) {
      expect(answer?.headers.get("content-type")).toBe("text/html; charset=utf-8");
      expect(await answer?.text()).toContain(`<h1>${expected.status}:`);
    } else {
      const body = (await answer?.json()) as { code: string; message: string; error: string };
      expect(body.code).toBe(expected.code);
      expect(body.message).toEqual(expect.any(String));
      expect(body.error).toBe(body.message);
    }
  });
});
