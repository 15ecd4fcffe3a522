/**
 * Type-checks each generated project (bench/typecheck/generate.ts) with the repo's TypeScript,
 * `tsc -p <project> --extendedDiagnostics`, 3 runs each (interleaved, so a burst of load on the
 * machine hits every project alike), and writes bench/TYPECHECK.md.
 *
 * Reported per project: the median "Check time" and "Total time" (wall clock, as tsc measures
 * them), the median CPU time of the tsc process (user + system, less sensitive to other load on
 * the machine), and "Types", "Instantiations" and "Memory used" (deterministic counts; memory
 * from the first run). A project that does not type-check cleanly is reported with its errors and
 * not timed.
 *
 * Anything below the `<!-- notes -->` line of an existing TYPECHECK.md is kept: that is where the
 * hand-written analysis lives.
 *
 *   tsx bench/typecheck/run.ts            (after generate.ts)
 */
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import os from "node:os";

const HERE = dirname(fileURLToPath(import.meta.url));
const REPO = join(HERE, "..", "..");
const GENERATED = join(HERE, "generated");
const TSC = join(REPO, "node_modules", "typescript", "bin", "tsc");
const OUTPUT = join(REPO, "bench", "TYPECHECK.md");
const NOTES_MARKER = "<!-- notes -->";
const RUNS = Number(process.env.TYPECHECK_RUNS ?? 3);
const TIMEOUT_MS = 240_000;

interface Project {
  readonly dir: string;
  readonly label: string;
  readonly what: string;
}

const PROJECTS: readonly Project[] = [
  { dir: "athanor", label: "Athanor (src)", what: "imports the repo's src/index.ts, so tsc also checks the bodies of Athanor's own source files" },
  { dir: "athanor-dts", label: "Athanor (.d.ts)", what: "the same files against declarations emitted from src/, as an npm user's project sees Athanor" },
  { dir: "drizzle", label: "Drizzle", what: "pgTable + relations(), db.query.*.findMany({ with }) on NodePgDatabase" },
  { dir: "mikro-orm", label: "MikroORM", what: "EntitySchema entities, em.find/findOne({ populate } as const), Loaded<E, paths>" },
];

interface Run {
  readonly ok: boolean;
  readonly errors: string[];
  readonly stats: Map<string, string>;
  readonly cpuSeconds: number;
}

/** Loaded with --require into the tsc process: prints its CPU time when it exits. */
const CPU_HOOK = join(GENERATED, "cpu-hook.cjs");
const CPU_TAG = "__TSC_CPU__";

function runTsc(project: string): Run {
  const result = spawnSync(process.execPath, ["--require", CPU_HOOK, TSC, "-p", project, "--extendedDiagnostics", "--pretty", "false"], {
    cwd: REPO,
    encoding: "utf8",
    timeout: TIMEOUT_MS,
    maxBuffer: 64 * 1024 * 1024,
  });
  if (result.error) throw result.error;
  const out = `${result.stdout}\n${result.stderr}`;
  const stats = new Map<string, string>();
  const errors: string[] = [];
  let cpuSeconds = NaN;
  for (const line of out.split("\n")) {
    if (line.startsWith(CPU_TAG)) {
      const { user, system } = JSON.parse(line.slice(CPU_TAG.length)) as { user: number; system: number };
      cpuSeconds = (user + system) / 1e6;
      continue;
    }
    if (/error TS\d+/.test(line)) {
      errors.push(line.trim());
      continue;
    }
    const m = /^([A-Za-z][A-Za-z ()/.-]*):\s+(\S.*)$/.exec(line.trim());
    if (m) stats.set(m[1]!.trim(), m[2]!.trim());
  }
  if (result.status !== 0 && errors.length === 0) errors.push(`tsc exited with status ${result.status ?? result.signal}: ${out.slice(0, 500)}`);
  return { ok: errors.length === 0, errors, stats, cpuSeconds };
}

const seconds = (v: string | undefined) => (v === undefined ? NaN : Number.parseFloat(v.replace(/s$/, "")));
const count = (v: string | undefined) => (v === undefined ? NaN : Number.parseInt(v.replace(/[^0-9]/g, ""), 10));
function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}
const fmtInt = (n: number) => (Number.isNaN(n) ? "n/a" : n.toLocaleString("en-US"));
/** A count that should not vary between runs; a range (marked) if it did, e.g. because src/ changed mid-run. */
function countCell(runs: readonly Run[], key: string): string {
  const values = runs.map((r) => count(r.stats.get(key)));
  const lo = Math.min(...values);
  const hi = Math.max(...values);
  return lo === hi ? fmtInt(lo) : `${fmtInt(lo)}-${fmtInt(hi)} *`;
}
const fmtS = (n: number) => (Number.isNaN(n) ? "n/a" : `${n.toFixed(2)} s`);

function version(pkgJson: string): string {
  try {
    return (JSON.parse(readFileSync(pkgJson, "utf8")) as { version: string }).version;
  } catch {
    return "not installed";
  }
}

function gitCommit(): string {
  const r = spawnSync("git", ["rev-parse", "--short", "HEAD"], { cwd: REPO, encoding: "utf8" });
  if (r.status !== 0) return "unknown";
  const dirty = spawnSync("git", ["status", "--porcelain", "--", "src"], { cwd: REPO, encoding: "utf8" });
  return r.stdout.trim() + (dirty.status === 0 && dirty.stdout.trim() !== "" ? " (with uncommitted changes in src/)" : "");
}

interface Row {
  readonly project: Project;
  readonly runs: Run[];
  readonly skipped?: string;
}

function main(): void {
  if (!existsSync(GENERATED)) throw new Error("bench/typecheck/generated is missing: run `tsx bench/typecheck/generate.ts` first.");
  writeFileSync(CPU_HOOK, `process.on("exit", () => process.stderr.write("\\n${CPU_TAG}" + JSON.stringify(process.cpuUsage()) + "\\n"));\n`);

  const rows: Row[] = PROJECTS.map((project) =>
    existsSync(join(GENERATED, project.dir, "tsconfig.json")) ? { project, runs: [] } : { project, runs: [], skipped: "not generated" },
  );
  const started = Date.now();
  for (let i = 0; i < RUNS; i++) {
    for (const row of rows) {
      if (row.skipped !== undefined) continue;
      if (row.runs.length > 0 && !row.runs[0]!.ok) continue; // failing project: reported, not timed
      const run = runTsc(join(GENERATED, row.project.dir));
      row.runs.push(run);
      const s = run.stats;
      console.log(
        `run ${i + 1}/${RUNS} ${row.project.label.padEnd(16)} ` +
          (run.ok
            ? `check ${s.get("Check time")}, total ${s.get("Total time")}, cpu ${run.cpuSeconds.toFixed(2)}s, ${s.get("Instantiations")} instantiations`
            : `${run.errors.length} errors, first: ${run.errors[0]}`),
      );
    }
  }
  const elapsed = (Date.now() - started) / 1000;

  const table: string[] = [
    "| Project | Check time | Total time | tsc CPU time | Types | Instantiations | Memory used | Files | Result |",
    "|---|---:|---:|---:|---:|---:|---:|---:|---|",
  ];
  for (const row of rows) {
    const first = row.runs[0];
    if (row.skipped !== undefined || first === undefined) {
      table.push(`| ${row.project.label} | | | | | | | | ${row.skipped ?? "not run"} |`);
      continue;
    }
    if (!first.ok) {
      table.push(`| ${row.project.label} | | | | | | | | **${first.errors.length} type errors** (not timed) |`);
      continue;
    }
    const s = first.stats;
    table.push(
      `| ${row.project.label} | ${fmtS(median(row.runs.map((r) => seconds(r.stats.get("Check time")))))} ` +
        `| ${fmtS(median(row.runs.map((r) => seconds(r.stats.get("Total time")))))} ` +
        `| ${fmtS(median(row.runs.map((r) => r.cpuSeconds)))} ` +
        `| ${countCell(row.runs, "Types")} | ${countCell(row.runs, "Instantiations")} ` +
        `| ${fmtInt(Math.round(count(s.get("Memory used")) / 1024))} MB | ${fmtInt(count(s.get("Files")))} | ok, 0 errors (${row.runs.length} runs) |`,
    );
  }

  const failures = rows.filter((r) => r.runs[0] !== undefined && !r.runs[0].ok);
  const errorBlocks = failures.map((r) =>
    [`### ${r.project.label}: errors`, "", "```", ...r.runs[0]!.errors.slice(0, 20).map((e) => e.slice(0, 400)), "```", ""].join("\n"),
  );

  const bench = join(REPO, "bench", "node_modules");
  const load = os.loadavg().map((l) => l.toFixed(1)).join(" / ");
  const previous = existsSync(OUTPUT) ? readFileSync(OUTPUT, "utf8") : "";
  const notesAt = previous.indexOf(NOTES_MARKER);
  const notes = notesAt >= 0 ? previous.slice(notesAt) : `${NOTES_MARKER}\n`;

  const md = [
    "# Type-check benchmark",
    "",
    "How long TypeScript takes to check typical code over a 50-entity schema with 100 relationships, in",
    "Athanor and in two peers with typed relation loading. Generated by `npm run bench:types`",
    "(`bench/typecheck/generate.ts`, then `bench/typecheck/run.ts`); the projects are written to",
    "`bench/typecheck/generated/` (not committed) and can be checked by hand with",
    "`node node_modules/typescript/bin/tsc -p bench/typecheck/generated/<project> --extendedDiagnostics`.",
    "",
    "## Results",
    "",
    ...table,
    "",
    `Check time, total time and CPU time are medians of ${RUNS} runs (interleaved across projects); types, instantiations`,
    "and files do not vary between runs (a range marked * means the checked source changed between runs: Athanor (src)",
    "reads the working tree's src/); memory is from the first run. Times are wall clock as tsc reports them and",
    `depend on the load of the machine (load average ${load} when the runs ended, on ${os.cpus().length} CPUs); the`,
    "instantiation and type counts are the load-independent comparison.",
    "",
    ...errorBlocks,
    "## Setup",
    "",
    `- TypeScript ${version(join(REPO, "node_modules", "typescript", "package.json"))}, Node ${process.version}, ${os.platform()} ${os.arch()}, ${os.cpus()[0]?.model ?? "unknown CPU"}`,
    `- Athanor ${version(join(REPO, "package.json"))} at commit ${gitCommit()}; drizzle-orm ${version(join(bench, "drizzle-orm", "package.json"))}; ` +
      `@mikro-orm/core ${version(join(bench, "@mikro-orm", "core", "package.json"))}, @mikro-orm/postgresql ${version(join(bench, "@mikro-orm", "postgresql", "package.json"))}`,
    "- Each project has its own tsconfig.json: strict, noUncheckedIndexedAccess, skipLibCheck, noEmit, module NodeNext, types [\"node\"].",
    `- Whole run (${RUNS} × ${rows.filter((r) => r.skipped === undefined).length} checks): ${elapsed.toFixed(0)} s.`,
    "",
    "The projects:",
    "",
    ...PROJECTS.map((p) => `- **${p.label}** (\`generated/${p.dir}\`): ${p.what}.`),
    "",
    "The schema is the same in each: entities E0..E49 with 5-6 columns (id, name, amount and two or three of",
    "active / note (nullable) / createdAt / score, plus foreign keys). E1..E49 form a ternary tree: each has a",
    "many-to-one to its parent and the parent a one-to-many back; E0 has one more many-to-one to E49 (back side",
    "E49.e0List). That is 50 many-to-one relationships and their 50 one-to-many sides, with paths of 3 levels and",
    "more. `queries.ts` has 50 functions, the same in each project: a filter on a typed column (`amount > n`,",
    "`name = s`, or both with `and`), one or two loader paths 1 to 3 levels deep (collections by selectinload,",
    "many-to-one chains by joinedload; MikroORM `populate` paths, Drizzle nested `with`), a read of a column at",
    "the end of each path, and in 10 of them the row passed to a function typed as \"entity with these paths",
    "loaded\" (`Loaded<E, \"a.b\">` in Athanor and MikroORM, a `BuildQueryResult` helper in Drizzle); 10 of them",
    "fetch by primary key (`session.get` / `findFirst` / `findOne`). Each project's reads go through its",
    "loaded-relation types: an unloaded relationship there is a compile error (`NotLoaded` in Athanor, a",
    "missing property in Drizzle, no `$` on an unloaded `Collection` in MikroORM).",
    "",
    notes.trimEnd(),
    "",
  ].join("\n");
  writeFileSync(OUTPUT, md);
  console.log(`wrote ${relative(REPO, OUTPUT)} (${elapsed.toFixed(0)} s)`);
  if (failures.length > 0) process.exitCode = 1;
}

main();
