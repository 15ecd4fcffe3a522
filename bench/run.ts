/**
 * `npm run bench [-- --quick] [-- --only=raw pg,Drizzle] [-- --workloads=w1,w3]` from the repo
 * root. Starts a throwaway PostgreSQL, loads the dataset, runs every (contender, workload) pair
 * in a fresh worker process, round-robin, and writes bench/RESULTS.md and bench/results.svg.
 */
import { existsSync, rmSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import pg from "pg";
import { createDatabase, startPostgres } from "../src/testing/postgres-server.ts";
import { registry, type RegistryEntry } from "./contenders/index.ts";
import { createDataset, expectedGraph, PAGE_SIZE, range } from "./lib/dataset.ts";
import { describeEnvironment } from "./lib/environment.ts";
import { benchPlan, sliceOf, type WorkloadId, type WorkloadPlan } from "./lib/plan.ts";
import { prismaGenerate } from "./lib/prisma-generate.ts";
import { seededRandom, shuffled } from "./lib/prng.ts";
import { writeReport, type Cell, type Row } from "./lib/report.ts";
import { addChecksums, emptyChecksum } from "./lib/tally.ts";
import type { Checksum, ContenderDefinition } from "./lib/types.ts";
import type { ExpectedChecksums, Reply } from "./lib/worker-protocol.ts";
import { WorkerSession } from "./lib/worker-session.ts";

const benchDir = dirname(fileURLToPath(import.meta.url));
const workDir = join(benchDir, ".work");

const args = process.argv.slice(2);
const quick = args.includes("--quick");
const only = listArg("--only");
const onlyWorkloads = listArg("--workloads");
const plan = benchPlan(quick);
const workloads = plan.workloads.filter((w) => !onlyWorkloads || onlyWorkloads.includes(w.id));

const startedAt = Date.now();
const SETUP_CONCURRENCY = 4;
let deadlineNoted = false;
/** Quick-mode workloads that ran out of their time allowance before every planned run. */
const cutShort = new Set<string>();
const log = (line: string) => console.log(`[bench ${((Date.now() - startedAt) / 1000).toFixed(0).padStart(4)}s] ${line}`);


async function main(): Promise<void> {
  rmSync(workDir, { recursive: true, force: true });
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
    log("loading the dataset and the contender modules");
    // Importing every contender module (to learn their names) overlaps with the load.
    const [{ rows, missing }] = await Promise.all([loadContenders(), createDataset(admin)]);
    const expected = await expectations(admin);
    const serverVersion = (await admin.query<{ server_version: string }>("SHOW server_version")).rows[0]?.server_version ?? "?";
    await admin.end();

    for (const entry of missing) notes.push(`\`contenders/${entry.module}\` (${entry.label}) is not written yet; see contenders/README.md.`);
    const runnable = rows.filter((row) => row.definition);
    log(`${runnable.length} contenders, ${workloads.length} workloads, up to ${plan.rounds} round(s)`);

    for (let round = 0; round < plan.rounds; round++) {
      // Full mode: fresh workers for each workload; quick mode: one worker per contender for all.
      const inRound = workloads.filter((w) => round < w.rounds);
      if (inRound.length === 0) continue;
      const groups = plan.perWorkloadWorkers ? inRound.map((w) => [w]) : [inRound];
      for (const group of groups) await runGroup(round, group, runnable, url, expected);
    }

    if (cutShort.size > 0) {
      notes.push(
        `Quick mode gives each workload a time allowance; ${[...cutShort].join(", ")} used it up, so some contenders ` +
          "got fewer measured runs than planned (at least one each; see the samples columns).",
      );
    }
    if (deadlineNoted) {
      notes.push(
        `The quick-mode deadline (${plan.softDeadlineMs / 1000} s) passed during the run: from then on every contender ` +
          "got only its first measured run of each workload (see the samples column).",
      );
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

/** Expected checksums of every workload, warm-ups and measured runs, from SQL alone. */
async function expectations(admin: pg.Client): Promise<Map<WorkloadId, ExpectedChecksums>> {
  const out = new Map<WorkloadId, ExpectedChecksums>();
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
  const slices = <T>(w: WorkloadPlan, ops: readonly T[]) => range(0, w.runs - 1).map((i) => sliceOf(ops, w.runs, i));
  for (const w of plan.workloads) {
    switch (w.id) {
      case "w1":
      case "w5":
        out.set(w.id, {
          warmup: await expectedGraph(admin, range(w.warmupUsers.from, w.warmupUsers.to), graph),
          runs: [await expectedGraph(admin, range(w.users.from, w.users.to), graph)],
        });
        break;
      case "w2": {
        const runs: Checksum[] = [];
        for (const slice of slices(w, w.pages)) runs.push(await pages(slice));
        out.set(w.id, { warmup: await pages(w.warmupPages), runs });
        break;
      }
      case "w3": {
        const runs: Checksum[] = [];
        for (const slice of slices(w, w.ids)) runs.push(await expectedGraph(admin, slice, byPk));
        out.set(w.id, { warmup: await expectedGraph(admin, w.warmupIds, byPk), runs });
        break;
      }
      case "w4":
        // The worker checks W4 against the rows it inserted.
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

/** The same run orders every time the bench runs, different for every workload, round and run. */
function runSeed(workload: WorkloadId, round: number, run: number): number {
  return Number(workload.slice(1)) * 1_000_000 + round * 1_000 + run;
}

/**
 * Starts a worker per contender for a group of workloads, then, workload by workload: a
 * counting pass (first round only), warm-ups, and the measured runs interleaved across
 * contenders, in a new shuffled order for every run.
 */
async function runGroup(
  round: number,
  group: readonly WorkloadPlan[],
  rows: readonly Row[],
  url: string,
  expected: Map<WorkloadId, ExpectedChecksums>,
): Promise<void> {
  // Workers are started and set up a few at a time (not timed; loading an ORM is CPU-bound).
  const sessions = new Map<Row, WorkerSession>();
  const pending = [...rows];
  const startOne = async (row: Row) => {
    const supported = group.filter((w) => w.id !== "w5" || row.definition?.create().w5);
    for (const w of group) if (!supported.includes(w)) mergeCell(row, w.id, { status: "unsupported" });
    if (supported.length === 0) return;
    const session = new WorkerSession(benchDir, plan.commandTimeoutMs);
    const reply = await session.send({
      op: "setup",
      module: row.module,
      contender: row.name,
      quick,
      url,
      expected: Object.fromEntries(group.flatMap((w) => (expected.has(w.id) ? [[w.id, expected.get(w.id)]] : []))),
      counting: round === 0,
    });
    if (reply.ok) sessions.set(row, session);
    else {
      for (const w of supported) mergeCell(row, w.id, { status: reply.status, message: reply.message });
      log(`round ${round + 1} ${row.name}: setup failed: ${firstLine(reply.message)}`);
      await session.close();
    }
  };
  await Promise.all(
    range(1, SETUP_CONCURRENCY).map(async () => {
      for (let row = pending.shift(); row; row = pending.shift()) await startOne(row);
    }),
  );
  log(`round ${round + 1}: ${sessions.size} workers set up for ${group.map((w) => w.id.toUpperCase()).join(", ")}`);
  // Keep the table order, whatever order the setups finished in.
  const ordered = new Map(rows.filter((row) => sessions.has(row)).map((row) => [row, sessions.get(row) as WorkerSession]));

  for (const w of group) {
    const active = [...ordered].filter(([row]) => row.cells[w.id]?.status !== "unsupported");
    const failed = (row: Row, reply: Reply & { ok: false }) => {
      mergeCell(row, w.id, { status: reply.status, message: reply.message });
      log(`round ${round + 1} ${w.title} ${row.name}: ${reply.status}: ${firstLine(reply.message)}`);
    };
    const ok = () => active.filter(([row]) => !["wrong", "error"].includes(row.cells[w.id]?.status ?? "ok"));
    if (round === 0) {
      for (const [row, session] of ok()) {
        const reply = await session.send({ op: "count", workload: w.id });
        if (reply.ok) mergeCell(row, w.id, { status: "ok", statements: reply.statements });
        else failed(row, reply);
      }
    }
    for (const [row, session] of ok()) {
      const reply = await session.send({ op: "warmup", workload: w.id });
      if (!reply.ok) failed(row, reply);
    }
    const spent = new Map<Row, number>();
    const measureStart = Date.now();
    for (let run = 0; run < w.runs; run++) {
      // A new order every run: a rotation kept every contender behind the same one, so whatever
      // a heavy predecessor left the server doing (dirty buffers, WAL) always hit the same contender.
      const contenders = shuffled(ok(), seededRandom(runSeed(w.id, round, run)));
      for (const [row, session] of contenders) {
        if (run > 0 && w.budgetMs > 0 && (spent.get(row) ?? 0) > w.budgetMs) continue;
        if (run > 0 && Date.now() - startedAt > plan.softDeadlineMs) {
          if (!deadlineNoted) log(`past the quick-mode deadline: no further measured runs beyond the first`);
          deadlineNoted = true;
          continue;
        }
        if (run > 0 && Date.now() - measureStart > w.allowanceMs) {
          cutShort.add(w.title);
          continue;
        }
        const reply = await session.send({ op: "run", workload: w.id, index: run });
        if (!reply.ok) {
          failed(row, reply);
          continue;
        }
        const samples = reply.samples ?? [];
        spent.set(row, (spent.get(row) ?? 0) + samples.reduce((a, b) => a + b, 0));
        mergeCell(row, w.id, { status: "ok", samples, peakHeap: reply.peakHeap });
      }
    }
    log(`round ${round + 1} ${w.title}: ${active.length} contenders done`);
  }

  for (const [row, session] of ordered) {
    const maxRss = await session.close();
    for (const w of group) if (maxRss !== undefined) mergeCell(row, w.id, { status: "ok", maxRss });
  }
}

interface CellUpdate {
  status: Cell["status"];
  samples?: number[];
  statements?: number;
  peakHeap?: number;
  maxRss?: number;
  message?: string;
}

/** Folds a worker's answer into the table. A wrong or failed result in any round decides the cell. */
function mergeCell(row: Row, workload: WorkloadId, update: CellUpdate): void {
  const cell: Cell = row.cells[workload] ?? { status: "ok", samples: [] };
  row.cells[workload] = cell;
  if (cell.status !== "ok") return;
  if (update.status !== "ok") {
    Object.assign(cell, { status: update.status, samples: [], message: update.message });
    return;
  }
  cell.samples.push(...(update.samples ?? []));
  if (update.statements !== undefined) cell.statements = update.statements;
  if (update.peakHeap !== undefined) cell.peakHeap = Math.max(cell.peakHeap ?? 0, update.peakHeap);
  if (update.maxRss !== undefined) cell.maxRss = Math.max(cell.maxRss ?? 0, update.maxRss);
}

function listArg(name: string): string[] | undefined {
  const arg = args.find((a) => a.startsWith(`${name}=`));
  return arg ? arg.slice(name.length + 1).split(",").map((s) => s.trim()) : undefined;
}

function firstLine(error: unknown): string {
  return (error instanceof Error ? error.message : String(error)).split("\n")[0] ?? "";
}

await main();
