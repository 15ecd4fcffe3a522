/**
 * The layering rule: Core (src/core) is below the ORM (src/orm) and never imports it, not even
 * for types. This scans every file under src/core.
 */
import { readdirSync, readFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
const coreDir = join(root, "src", "core");
const ormDir = join(root, "src", "orm");

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(path);
    return /\.(ts|mts|cts|js|mjs)$/.test(entry.name) ? [path] : [];
  });
}

/** Every module specifier of static imports/exports (type-only included), dynamic import() and require(). */
function specifiers(source: string): string[] {
  const patterns = [
    /\b(?:import|export)\b[^'"`;]*?\bfrom\s*["']([^"']+)["']/g,
    /\bimport\s*["']([^"']+)["']/g,
    /\bimport\s*\(\s*["']([^"']+)["']\s*\)/g,
    /\brequire\s*\(\s*["']([^"']+)["']\s*\)/g,
  ];
  return patterns.flatMap((re) => [...source.matchAll(re)].map((m) => m[1]!));
}

/** The specifiers of `file` that lead into src/orm. */
function ormImports(file: string, source: string): string[] {
  return specifiers(source).filter((spec) => {
    if (spec.startsWith(".")) {
      const target = resolve(dirname(file), spec);
      return target === ormDir || target.startsWith(ormDir + "/");
    }
    // Package self-references or path aliases that name the ORM.
    return /(^|\/)orm(\/|$)/.test(spec) && !spec.startsWith("node:");
  });
}

describe("layering", () => {
  const files = sourceFiles(coreDir);

  it("finds the Core sources", () => {
    expect(files.length).toBeGreaterThan(20);
    expect(files).toContain(join(coreDir, "sql", "select.ts"));
    expect(files).toContain(join(coreDir, "compiler", "compiler.ts"));
  });

  it("no file under src/core imports from src/orm", () => {
    const violations = files.flatMap((file) =>
      ormImports(file, readFileSync(file, "utf8")).map((spec) => `${relative(root, file)} imports "${spec}"`),
    );
    expect(violations).toEqual([]);
  });

  it("the scanner catches every import form (so the rule can fail)", () => {
    const file = join(coreDir, "sql", "x.ts");
    const source = [
      'import { Mapper } from "../../orm/mapping/mapper.js";',
      'import type { Session } from "../../orm/session/session.js";',
      "export { select } from '../../orm/query/select.js';",
      'export * from "../../orm/errors.js";',
      'import "../../orm/side-effect.js";',
      'const m = await import("../../orm/lazy.js");',
      'import {\n  a,\n  b,\n} from "../../orm/multi-line.js";',
      'import { ok } from "../errors.js";',
      'import { fine } from "./nodes.js";',
      'import pg from "pg";',
    ].join("\n");
    expect(ormImports(file, source)).toEqual([
      "../../orm/mapping/mapper.js",
      "../../orm/session/session.js",
      "../../orm/query/select.js",
      "../../orm/errors.js",
      "../../orm/multi-line.js",
      "../../orm/side-effect.js",
      "../../orm/lazy.js",
    ]);
  });
});
