/**
 * Client packages are imported only inside their driver folder, and only with a dynamic
 * `import()` (type-only imports are erased), so an application loads just the driver it uses.
 */
import { readdir, readFile } from "node:fs/promises";
import { join, relative } from "node:path";
import { describe, expect, it } from "vitest";

const CORE = join(import.meta.dirname, "../../../src/core");
const CLIENTS: Readonly<Record<string, string>> = {
  pg: "drivers/pg/",
  postgres: "drivers/postgres-js/",
  "@electric-sql/pglite": "drivers/pglite/",
};

async function sourceFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true, recursive: true });
  return entries.filter((e) => e.isFile() && e.name.endsWith(".ts")).map((e) => join(e.parentPath, e.name));
}

describe("driver client packages", () => {
  it("are imported only by their driver, dynamically", async () => {
    const offenders: string[] = [];
    for (const file of await sourceFiles(CORE)) {
      const path = relative(CORE, file);
      const text = await readFile(file, "utf8");
      for (const [pkg, folder] of Object.entries(CLIENTS)) {
        const quoted = `["']${pkg.replace(/[/.]/g, "\\$&")}["']`;
        const staticImport = new RegExp(`^import (?!type )[^;]*from ${quoted}`, "m");
        const dynamicImport = new RegExp(`import\\(${quoted}\\)`);
        if (staticImport.test(text)) offenders.push(`${path}: static import of ${pkg}`);
        if (dynamicImport.test(text) && !path.startsWith(folder)) offenders.push(`${path}: imports ${pkg}`);
      }
    }
    expect(offenders).toEqual([]);
  });
});
