/**
 * The ZIP writer read back by Info-ZIP's unzip, a reader of its own (installed by .ci/run):
 * `-t` checks every entry's CRC and sizes, `-p` extracts an entry's bytes.
 */
import { spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";

import { afterAll, describe, expect, it } from "vitest";

import { ZipArchive } from "./zip-archive";

const dir = mkdtempSync(path.join(tmpdir(), "zip-archive-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** unzip's output for `option` on the archive (and an entry, for -p), as bytes in latin1. */
function unzip(file: string, option: string, entry?: string): string {
  const run = spawnSync("unzip", [option, file, ...(entry === undefined ? [] : [entry])], { encoding: "latin1", maxBuffer: 1 << 28 });
  if (run.status !== 0) throw new Error(`unzip ${option} exited ${run.status}: ${run.stdout}${run.stderr}`);
  return run.stdout;
}

async function archiveFile(build: (archive: ZipArchive) => Promise<void>): Promise<{ file: string; takenBeforeEnd: number }> {
  const archive = new ZipArchive();
  const chunks: Buffer[] = [];
  await build(archive);
  chunks.push(...archive.take());
  const takenBeforeEnd = chunks.reduce((n, c) => n + c.length, 0);
  chunks.push(...(await archive.end()));
  const file = path.join(dir, `${chunks.length}-${takenBeforeEnd}.zip`);
  writeFileSync(file, Buffer.concat(chunks));
  return { file, takenBeforeEnd };
}

describe("ZipArchive", () => {
  it("writes whole entries and a streamed one that unzip reads back byte for byte, with their CRCs right", async () => {
    // Text that does not compress to nothing, across many batches, with characters of 2 to 4 UTF-8 bytes.
    const batches = Array.from({ length: 40 }, (_, i) => `${randomBytes(24_000).toString("base64")} ${i} é € 😀\n`);
    const { file } = await archiveFile(async (archive) => {
      archive.add("[Content_Types].xml", "<Types/>");
      archive.add("xl/empty.xml", "");
      const sheet = archive.stream("xl/worksheets/sheet1.xml");
      for (const batch of batches) {
        sheet.write(batch);
        await sheet.settled();
      }
    });

    expect(unzip(file, "-t")).toContain("No errors detected");
    expect(unzip(file, "-p", "[[]Content_Types].xml")).toBe("<Types/>");
    expect(unzip(file, "-p", "xl/worksheets/sheet1.xml")).toBe(Buffer.from(batches.join("")).toString("latin1"));
    expect(unzip(file, "-p", "xl/empty.xml")).toBe("");
    expect(unzip(file, "-Z1").split("\n").filter(Boolean)).toEqual(["[Content_Types].xml", "xl/empty.xml", "xl/worksheets/sheet1.xml"]);
  });

  it("hands on the streamed entry's bytes as batches settle, not all at the end", async () => {
    const { file, takenBeforeEnd } = await archiveFile(async (archive) => {
      const sheet = archive.stream("sheet.xml");
      for (let i = 0; i < 20; i++) {
        sheet.write(randomBytes(200_000).toString("hex"));
        await sheet.settled();
      }
    });
    // 8 MB of hex deflates to about 4.5 MB; most of it is out before the archive ends.
    expect(takenBeforeEnd).toBeGreaterThan(3_000_000);
    expect(unzip(file, "-t")).toContain("No errors detected");
  });

  it("writes an empty streamed entry that reads back empty", async () => {
    const { file } = await archiveFile(async (archive) => {
      archive.stream("empty.xml");
    });
    expect(unzip(file, "-t")).toContain("No errors detected");
    expect(unzip(file, "-p", "empty.xml")).toBe("");
  });
});
