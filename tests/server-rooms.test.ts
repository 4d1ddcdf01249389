/**
 * The rooms of src/server depend one way: no two folders import each other, directly or round
 * a longer loop. A folder's own subfolders are part of it, so a folder and its subfolder may
 * use each other (api/ and api/routers/); siblings, at any depth, may not (exports/kinds/ and
 * exports/job/, or exports/ and jobs/). The files at the top of src/server (the composition
 * root, errors, log) belong to no folder. Type-only imports count: a type couples rooms too.
 */
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";

import ts from "typescript";
import { describe, expect, it } from "vitest";

type Edge = { from: string; to: string; example: string };

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(full);
    return /\.tsx?$/.test(entry.name) && !/\.test\.tsx?$/.test(entry.name) ? [full] : [];
  });
}

/** The file an import names, or null when it lies outside `server` (a package, ~/env, ~/generated). */
function resolve(server: string, fromFile: string, specifier: string): string | null {
  let base: string;
  if (specifier.startsWith("~/server/")) base = path.join(server, specifier.slice("~/server/".length));
  else if (specifier.startsWith(".")) base = path.resolve(path.dirname(fromFile), specifier);
  else return null;
  if (!base.startsWith(server + path.sep)) return null;
  for (const candidate of [base, `${base}.ts`, `${base}.tsx`, path.join(base, "index.ts")]) {
    try {
      if (statSync(candidate).isFile()) return candidate;
    } catch {
      // Not this spelling; try the next.
    }
  }
  throw new Error(`${path.relative(server, fromFile)} imports ${specifier}, which does not resolve`);
}

/**
 * One edge per import between sibling folders: from the folder that holds the importer to the
 * one that holds the imported file, each taken just below the two paths' common ancestor.
 */
function folderEdges(server: string): Edge[] {
  const edges: Edge[] = [];
  for (const file of sourceFiles(server)) {
    const { importedFiles } = ts.preProcessFile(readFileSync(file, "utf8"), true, true);
    for (const { fileName: specifier } of importedFiles) {
      const target = resolve(server, file, specifier);
      if (!target) continue;
      const from = path.relative(server, path.dirname(file)).split(path.sep).filter(Boolean);
      const to = path.relative(server, path.dirname(target)).split(path.sep).filter(Boolean);
      let common = 0;
      while (common < from.length && common < to.length && from[common] === to[common]) common++;
      // One side contains the other (or it is the top of src/server): that is one room.
      if (common === from.length || common === to.length) continue;
      edges.push({ from: from.slice(0, common + 1).join("/"), to: to.slice(0, common + 1).join("/"), example: `${path.relative(server, file)} → ${specifier}` });
    }
  }
  return edges;
}

/** Every loop among the folders (Tarjan's strongly connected components), each with the imports that close it. */
function folderCycles(server: string): string[][] {
  const edges = folderEdges(server);
  const next = new Map<string, Map<string, string>>();
  for (const { from, to, example } of edges) {
    if (!next.has(from)) next.set(from, new Map());
    if (!next.get(from)!.has(to)) next.get(from)!.set(to, example);
  }
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const cycles: string[][] = [];
  const visit = (node: string) => {
    index.set(node, index.size);
    low.set(node, index.get(node)!);
    stack.push(node);
    onStack.add(node);
    for (const to of next.get(node)?.keys() ?? []) {
      if (!index.has(to)) {
        visit(to);
        low.set(node, Math.min(low.get(node)!, low.get(to)!));
      } else if (onStack.has(to)) low.set(node, Math.min(low.get(node)!, index.get(to)!));
    }
    if (low.get(node) !== index.get(node)) return;
    const members: string[] = [];
    let member: string;
    do {
      member = stack.pop()!;
      onStack.delete(member);
      members.push(member);
    } while (member !== node);
    if (members.length < 2) return;
    const inside = new Set(members);
    cycles.push(
      [...inside].sort().flatMap((from) => [...(next.get(from) ?? [])].filter(([to]) => inside.has(to)).map(([to, example]) => `${from} → ${to}: ${example}`)),
    );
  };
  for (const node of next.keys()) if (!index.has(node)) visit(node);
  return cycles;
}

function plantTree(files: Record<string, string>): string {
  const root = mkdtempSync(path.join(tmpdir(), "server-rooms-"));
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(root, name)), { recursive: true });
    writeFileSync(path.join(root, name), text);
  }
  return root;
}

describe("the rooms of src/server", () => {
  it("import one way: no folder cycle", () => {
    expect(folderCycles(path.resolve("src/server"))).toEqual([]);
  });

  it("reports a planted cycle, over a type-only import and a longer loop too", () => {
    const root = plantTree({
      "errors.ts": "export class AppError extends Error {}\n",
      "exports/start.ts": 'import { send } from "~/server/jobs/queue";\nimport { AppError } from "../errors";\nexport const start = () => send(new AppError());\n',
      "jobs/queue.ts": 'import type { Job } from "~/server/exports/job/job";\nexport const send = (_: unknown): Job | null => null;\n',
      "exports/job/job.ts": "export type Job = { id: string };\n",
      "api/root.ts": 'import { router } from "./routers/exports";\nexport const root = router;\n',
      "api/routers/exports.ts": 'import type { root } from "../root";\nexport const router = {} as typeof root | object;\n',
      "a/one.ts": 'import "../b/two";\n',
      "b/two.ts": 'import "../c/three";\n',
      "c/three.ts": 'export * from "../a/one";\n',
    });
    try {
      const cycles = folderCycles(root);
      // api/ and its routers/ use each other, which is one room's business: not reported.
      expect(cycles).toHaveLength(2);
      expect(cycles).toEqual(
        expect.arrayContaining([
          ["a → b: a/one.ts → ../b/two", "b → c: b/two.ts → ../c/three", "c → a: c/three.ts → ../a/one"],
          ["exports → jobs: exports/start.ts → ~/server/jobs/queue", "jobs → exports: jobs/queue.ts → ~/server/exports/job/job"],
        ]),
      );
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});
