/**
 * `npm test`: every check, in the order a failure is cheapest to find: typecheck (the app,
 * then the typed client's example project), lint, the unit tests (Vitest's `unit` project,
 * which needs no service), the integration tests (against the real local services), then the
 * end-to-end tests (Playwright, in Debian's Chromium against the built app).
 *
 *   npm test                        everything
 *   npm test -- export-metric-data  only the Vitest files whose path matches, unit or not
 *
 * It runs every stage even after a failure, prints each runner's own summary, then one
 * closing line with the test counts, and exits non-zero if anything failed.
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, rmSync } from "node:fs";
import path from "node:path";

const filters = process.argv.slice(2);
const reports = path.resolve(".local/reports");
mkdirSync(reports, { recursive: true });
const vitestReport = path.join(reports, "vitest.json");
const playwrightReport = path.join(reports, "playwright.json");

/** Where a stage's runner leaves its counts, if it has any. */
type Stage = { name: string; command: string[]; env?: Record<string, string>; report?: "vitest" | "playwright" };

const vitest = (name: string, args: string[]): Stage => ({
  name,
  command: ["vitest", "run", ...args, "--reporter=default", "--reporter=json", `--outputFile.json=${vitestReport}`],
  report: "vitest",
});

const stages: Stage[] = filters.length
  ? [vitest("vitest", filters)]
  : [
      { name: "typecheck", command: ["tsc", "--noEmit"] },
      // The typed client's example, a project of its own: a router change that breaks it fails here.
      { name: "client", command: ["tsc", "--noEmit", "-p", "examples/node-client"] },
      { name: "lint", command: ["eslint", "--max-warnings=0", "."] },
      vitest("unit", ["--project", "unit"]),
      vitest("integration", ["--project", "integration", "--project", "serial"]),
      { name: "playwright", command: ["playwright", "test"], env: { PLAYWRIGHT_JSON_OUTPUT_NAME: playwrightReport }, report: "playwright" },
    ];

const counts = { passed: 0, failed: 0, skipped: 0 };
/** Why a stage failed when no test in it did: a file's hook or import, or an unhandled error. */
const stageFailures: string[] = [];

function readCounts(file: string, pick: (report: Record<string, unknown>) => { passed: number; failed: number; skipped: number }) {
  if (!existsSync(file)) return false;
  const c = pick(JSON.parse(readFileSync(file, "utf8")) as Record<string, unknown>);
  counts.passed += c.passed;
  counts.failed += c.failed;
  counts.skipped += c.skipped;
  return true;
}

type VitestFileResult = { name: string; status: string; message: string; assertionResults: Array<{ status: string }> };

/** Files that failed with every test in them passed: an error in a hook, or in the file's import. */
function failedVitestFiles(): string[] {
  const report = JSON.parse(readFileSync(vitestReport, "utf8")) as { testResults?: VitestFileResult[] };
  return (report.testResults ?? [])
    .filter((f) => f.status === "failed" && f.assertionResults.every((t) => t.status !== "failed"))
    .map((f) => `${path.relative(process.cwd(), f.name)}: ${f.message || "failed outside its tests"}`);
}

const results: Array<{ name: string; ok: boolean; seconds: number }> = [];
for (const stage of stages) {
  rmSync(vitestReport, { force: true });
  rmSync(playwrightReport, { force: true });
  console.log(`\n━━━ ${stage.name}: npx ${stage.command.join(" ")}`);
  const started = Date.now();
  const run = spawnSync("npx", stage.command, { stdio: "inherit", env: { ...process.env, ...stage.env } });
  let ok = run.status === 0;
  // Counts are read even from a failed run, so the closing line says what failed.
  if (stage.report === "vitest") {
    const failedBefore = counts.failed;
    ok = readCounts(vitestReport, (r) => ({
      passed: Number(r.numPassedTests ?? 0),
      failed: Number(r.numFailedTests ?? 0),
      skipped: Number(r.numPendingTests ?? 0) + Number(r.numTodoTests ?? 0),
    })) && ok;
    if (!ok && counts.failed === failedBefore) {
      const files = existsSync(vitestReport) ? failedVitestFiles() : [];
      stageFailures.push(
        ...(files.length
          ? files.map((f) => `${stage.name}: ${f}`)
          : [`${stage.name}: Vitest exited with ${run.status ?? run.signal} and no test failed: an unhandled error, printed above under "Unhandled Errors"`]),
      );
    }
  }
  if (stage.report === "playwright") {
    ok =
      readCounts(playwrightReport, (r) => {
        const s = (r.stats ?? {}) as Record<string, number>;
        return { passed: (s.expected ?? 0) + (s.flaky ?? 0), failed: s.unexpected ?? 0, skipped: s.skipped ?? 0 };
      }) && ok;
  }
  results.push({ name: stage.name, ok, seconds: Math.round((Date.now() - started) / 1000) });
}

console.log("\n━━━ summary");
for (const r of results) console.log(`${r.ok ? "ok  " : "FAIL"} ${r.name.padEnd(11)} ${r.seconds}s`);
const failedStages = results.filter((r) => !r.ok);
console.log(`Tests: ${counts.passed} passed, ${counts.failed} failed, ${counts.skipped} skipped`);
// A stage can fail without failing a test (typecheck, lint, a crash): that fails the run too.
if (failedStages.length) console.log(`Failed stages: ${failedStages.map((r) => r.name).join(", ")}`);
for (const failure of stageFailures) console.log(`  ${failure}`);
if (counts.passed === 0) console.log("No test ran: that is a failure.");
process.exit(failedStages.length > 0 || counts.failed > 0 || counts.passed === 0 ? 1 : 0);
