/**
 * `npm run bench [-- --quick] [-- --only=raw pg,Drizzle] [-- --workloads=w1,w3]` from the repo
 * root. Starts a throwaway PostgreSQL, loads the dataset, runs every (contender, workload) pair
 * in a fresh worker process, round-robin, and writes bench/RESULTS.md and bench/results.svg.
 */
import { spawn } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import pg from "pg";
import { createDatabase, startPostgres } from "../src/testing/postgres-server.ts";
import { registry, type RegistryEntry } from "./contenders/index.ts";
import { createDataset, expectedGraph, PAGE_SIZE, range } from "./lib/dataset.ts";
import { describeEnvironment } from "./lib/environment.ts";
import { benchPlan, type WorkloadId, type WorkloadPlan } from "./lib/plan.ts";
import { prismaGenerate } from "./lib/prisma-generate.ts";
import { writeReport, type Cell, type Row } from "./lib/report.ts";
import { addChecksums, emptyChecksum } from "./lib/tally.ts";
import type { Checksum, ContenderDefinition } from "./lib/types.ts";
import type { WorkerInput, WorkerOutput, WorkloadOutput } from "./lib/worker-protocol.ts";

const benchDir = dirname(fileURLToPath(import.meta.url));
const workDir = join(benchDir, ".work");

const args = process.argv.slice(2);
const quick = args.includes("--quick");
const only = listArg("--only");
const onlyWorkloads = listArg("--workloads");
const plan = benchPlan(quick);
const workloads = plan.workloads.filter((w) => !onlyWorkloads || onlyWorkloads.includes(w.id));

const startedAt = Date.now();
const log = (line: string) => console.log(`[bench ${((Date.now() - startedAt) / 1000).toFixed(0).padStart(4)}s] ${line}`);


async function main(): Promise<void> {
  rmSync(workDir, { recursive: true, force: true });
  mkdirSync(workDir, { recursive: true });
  const notes: string[] = [];

  try {
    notes.push(await prismaGenerate(benchDir));
  } catch (error) {
    notes.push(`\`prisma generate\` failed, so the Prisma contenders cannot load: ${firstLine(error)}`);
  }

  log("starting PostgreSQL");
  const server = await startPostgres();
  try {
    const url = await createDatabase(server.url, "athanor_bench");
    const admin = new pg.Client({ connectionString: url });
    await admin.connect();
    log("loading the dataset");
    await createDataset(admin);
    const expected = await expectations(admin);
    const serverVersion = (await admin.query<{ server_version: string }>("SHOW server_version")).rows[0]?.server_version ?? "?";
    await admin.end();

    const { rows, missing } = await loadContenders();
    for (const entry of missing) notes.push(`\`contenders/${entry.module}\` (${entry.label}) is not written yet; see contenders/README.md.`);
    const runnable = rows.filter((row) => row.definition);
    log(`${runnable.length} contenders, ${workloads.length} workloads, ${plan.rounds} round(s)`);

    for (let round = 0; round < plan.rounds; round++) {
      // Full mode: one worker per (contender, workload), contenders interleaved within each
      // workload. Quick mode: one worker per contender for all workloads. Either way the order
      // of contenders rotates each round so drift on the machine does not always hit the same one.
      const groups = plan.perWorkloadWorkers ? workloads.map((w) => [w]) : [workloads];
      for (const group of groups) {
        const order = runnable.map((_, i) => runnable[(i + round) % runnable.length] as Row);
        for (const row of order) {
          const supported = group.filter((w) => w.id !== "w5" || row.definition?.create().w5);
          for (const w of group) if (!supported.includes(w)) mergeCell(row, w.id, { status: "unsupported", samples: [] });
          if (supported.length === 0) continue;
          const output = await runWorker(row, supported, url, round === 0, expected);
          for (const w of supported) {
            const result = output.results[w.id] ?? { status: "error", samples: [], message: "the worker reported nothing" };
            mergeCell(row, w.id, result, output.maxRss);
            const cell = row.cells[w.id];
            log(
              `round ${round + 1} ${w.title.padEnd(24)} ${row.name.padEnd(24)} ${result.status}` +
                (cell?.samples.length ? ` (${cell.samples.length} samples)` : "") +
                (result.message ? `: ${result.message.split("\n")[0]?.slice(0, 120)}` : ""),
            );
          }
        }
      }
    }

    const environment = await describeEnvironment({ benchDir, serverVersion, entries: registry });
    writeReport({
      benchDir,
      plan: { ...plan, workloads },
      rows,
      notes,
      environment,
      elapsedMs: Date.now() - startedAt,
      command: `npm run bench${quick ? " -- --quick" : ""}${only || onlyWorkloads ? " (filtered)" : ""}`,
    });
    log("wrote bench/RESULTS.md and bench/results.svg");
  } finally {
    await server.stop();
    rmSync(workDir, { recursive: true, force: true });
  }
}

/** Expected checksums of every workload, measured runs and warm-ups, from SQL alone. */
async function expectations(admin: pg.Client): Promise<Map<WorkloadId, { run: Checksum; warmup: Checksum }>> {
  const out = new Map<WorkloadId, { run: Checksum; warmup: Checksum }>();
  const pageCache = new Map<number, Checksum>();
  const pages = async (list: readonly number[]) => {
    let sum = emptyChecksum();
    for (const page of list) {
      if (!pageCache.has(page)) {
        const ids = range(page * PAGE_SIZE + 1, page * PAGE_SIZE + PAGE_SIZE);
        pageCache.set(page, await expectedGraph(admin, ids, { orders: true, products: false, invoices: false }));
      }
      sum = addChecksums(sum, pageCache.get(page) as Checksum);
    }
    return sum;
  };
  const graph = { orders: true, products: true, invoices: false };
  const byPk = { orders: false, products: false, invoices: true };
  for (const w of plan.workloads) {
    switch (w.id) {
      case "w1":
      case "w5":
        out.set(w.id, {
          run: await expectedGraph(admin, range(w.users.from, w.users.to), graph),
          warmup: await expectedGraph(admin, range(w.warmupUsers.from, w.warmupUsers.to), graph),
        });
        break;
      case "w2":
        out.set(w.id, { run: await pages(w.pages), warmup: await pages(w.warmupPages) });
        break;
      case "w3":
        out.set(w.id, { run: await expectedGraph(admin, w.ids, byPk), warmup: await expectedGraph(admin, w.warmupIds, byPk) });
        break;
      case "w4":
        // The worker checks W4 against the rows it inserted.
        out.set(w.id, { run: emptyChecksum(), warmup: emptyChecksum() });
        break;
    }
  }
  return out;
}

/** Imports every registered module to learn its contenders; a module that fails becomes an error row. */
async function loadContenders(): Promise<{ rows: Row[]; missing: RegistryEntry[] }> {
  const rows: Row[] = [];
  const missing: RegistryEntry[] = [];
  for (const entry of registry) {
    const file = join(benchDir, "contenders", entry.module);
    if (!existsSync(file)) {
      if (entry.optional) missing.push(entry);
      else if (!only || only.includes(entry.label)) rows.push({ name: entry.label, module: entry.module, cells: {}, loadError: `contenders/${entry.module} does not exist` });
      continue;
    }
    try {
      const definitions = (await import(pathToFileURL(file).href)).default as ContenderDefinition[];
      for (const definition of definitions) {
        if (only && !only.includes(definition.name)) continue;
        rows.push({ name: definition.name, module: entry.module, note: definition.note, definition, cells: {} });
      }
    } catch (error) {
      if (only && !only.includes(entry.label)) continue;
      rows.push({ name: entry.label, module: entry.module, cells: {}, loadError: firstLine(error) });
    }
  }
  return { rows, missing };
}

let workerSeq = 0;

async function runWorker(
  row: Row,
  group: readonly WorkloadPlan[],
  url: string,
  countStatements: boolean,
  expected: Map<WorkloadId, { run: Checksum; warmup: Checksum }>,
): Promise<WorkerOutput> {
  const id = ++workerSeq;
  const inputFile = join(workDir, `in-${id}.json`);
  const outputFile = join(workDir, `out-${id}.json`);
  const input: WorkerInput = {
    module: row.module,
    contender: row.name,
    workloads: group.map((w) => w.id),
    quick,
    url,
    countStatements,
    expected: Object.fromEntries(group.map((w) => [w.id, expected.get(w.id)])),
    output: outputFile,
  };
  writeFileSync(inputFile, JSON.stringify(input));
  const stderr: string[] = [];
  const child = spawn(process.execPath, ["--expose-gc", "--import", "tsx", "worker.ts", inputFile], {
    cwd: benchDir,
    stdio: ["ignore", "ignore", "pipe"],
  });
  child.stderr.on("data", (chunk: Buffer) => {
    stderr.push(chunk.toString());
    if (stderr.length > 50) stderr.shift();
  });
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    child.kill("SIGKILL");
  }, plan.workerTimeoutMs);
  const code = await new Promise<number | null>((resolve) => child.once("close", resolve));
  clearTimeout(timer);
  if (existsSync(outputFile)) return JSON.parse(readFileSync(outputFile, "utf8")) as WorkerOutput;
  const reason = timedOut ? `timed out after ${plan.workerTimeoutMs / 1000} s` : `worker exited with code ${code}`;
  const message = `${reason}\n${stderr.join("").split("\n").slice(-8).join("\n")}`;
  return { results: Object.fromEntries(group.map((w) => [w.id, { status: "error", samples: [], message }])), maxRss: 0 };
}

function mergeCell(row: Row, workload: WorkloadId, output: WorkloadOutput, maxRss?: number): void {
  const cell: Cell = row.cells[workload] ?? { status: "ok", samples: [] };
  row.cells[workload] = cell;
  // A wrong or failed worker in any round decides the cell: it is not timed.
  if (cell.status === "wrong" || cell.status === "error") return;
  if (output.status !== "ok") {
    Object.assign(cell, { status: output.status, samples: [], message: output.message });
    return;
  }
  cell.samples.push(...output.samples);
  if (output.statements !== undefined) cell.statements = output.statements;
  if (output.peakHeap !== undefined) cell.peakHeap = Math.max(cell.peakHeap ?? 0, output.peakHeap);
  if (maxRss !== undefined) cell.maxRss = Math.max(cell.maxRss ?? 0, maxRss);
}

function listArg(name: string): string[] | undefined {
  const arg = args.find((a) => a.startsWith(`${name}=`));
  return arg ? arg.slice(name.length + 1).split(",").map((s) => s.trim()) : undefined;
}

function firstLine(error: unknown): string {
  return (error instanceof Error ? error.message : String(error)).split("\n")[0] ?? "";
}

await main();
