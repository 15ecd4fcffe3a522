/**
 * The benchmark matrix: what each workload does and how often it runs, for the full and the
 * quick mode. The runner and the worker processes both derive it from the mode, so only the
 * mode crosses the process boundary.
 */
import { PAGES, lookupIds, range } from "./dataset.ts";
import type { UserRange } from "./types.ts";

export type WorkloadId = "w1" | "w2" | "w3" | "w4" | "w5";

export interface WorkloadPlan {
  id: WorkloadId;
  title: string;
  /** What one timing sample is: a whole run, or one operation (page load, lookup). */
  sample: "run" | "op";
  /** How the workload is described in RESULTS.md, with its size in this mode. */
  describe: string;
  /** Warm-up runs per worker, on the small variant of the workload. */
  warmups: number;
  /**
   * Rounds of fresh worker processes. A process draws its own JIT and heap layout, and on this
   * machine one process's runs can sit 15% above another's: W1 and W4, whose sample is a whole
   * run, take fewer runs from more processes, so a median is not the level of just two.
   */
  rounds: number;
  /**
   * Measured runs per worker. For W2 and W3, the operations are split into this many slices and
   * each run does one slice, so that runs of different contenders can be interleaved finely.
   */
  runs: number;
  /** Once a contender has spent this long on measured runs of the workload, it gets no more (0: no limit). */
  budgetMs: number;
  /**
   * Quick mode: once the measured runs of the workload (all contenders together) have taken this
   * long, no contender gets a measured run beyond its first.
   */
  allowanceMs: number;
  /** W1, W5: the users whose graph is loaded. */
  users: UserRange;
  /** W1, W5: the smaller graph used for warm-up runs. */
  warmupUsers: UserRange;
  /** W2: the pages, in order. */
  pages: number[];
  warmupPages: number[];
  /** W3: the ids, in order. */
  ids: number[];
  warmupIds: number[];
  /** W4: rows per measured run and per warm-up run. */
  rows: number;
  warmupRows: number;
}

export interface BenchPlan {
  quick: boolean;
  /** Rounds in all: the largest `rounds` of the workloads (a round repeats the workloads that have that many). */
  rounds: number;
  /**
   * Full mode starts a fresh worker per (contender, workload). Quick mode starts one worker per
   * contender for all the workloads, to fit in its time budget.
   */
  perWorkloadWorkers: boolean;
  /**
   * Quick mode only: once the whole command has run this long, contenders get no further
   * measured runs beyond their first of each workload (so every cell still has samples).
   */
  softDeadlineMs: number;
  /** A worker command (setup, counting pass, one run) taking longer than this is killed. */
  commandTimeoutMs: number;
  workloads: WorkloadPlan[];
}

const NONE: Pick<WorkloadPlan, "allowanceMs" | "users" | "warmupUsers" | "pages" | "warmupPages" | "ids" | "warmupIds" | "rows" | "warmupRows"> = {
  allowanceMs: Number.POSITIVE_INFINITY,
  users: { from: 1, to: 0 },
  warmupUsers: { from: 1, to: 0 },
  pages: [],
  warmupPages: [],
  ids: [],
  warmupIds: [],
  rows: 0,
  warmupRows: 0,
};

/**
 * Warm-up runs per worker and workload, the same for every contender. One was too few: in a fresh
 * process the first measured runs still paid for JIT compilation (Athanor's first W1 run took
 * about 1.3x its later ones, raw postgres.js's 1.2x), which measured start-up more than the
 * steady state the workloads stand for. Warm-ups run on the small variants, so three cost little.
 */
const WARMUPS = 3;

export function benchPlan(quick: boolean): BenchPlan {
  const workloads = planWorkloads(quick);
  return {
    quick,
    rounds: Math.max(...workloads.map((w) => w.rounds)),
    perWorkloadWorkers: !quick,
    softDeadlineMs: quick ? 100_000 : Number.POSITIVE_INFINITY,
    commandTimeoutMs: quick ? 60_000 : 600_000,
    workloads,
  };
}

function planWorkloads(quick: boolean): WorkloadPlan[] {
  const pageLoads = quick ? 20 : 200;
  // Quick mode spreads its page loads evenly, so the offsets still span 0..1,900.
  const pages = range(0, pageLoads - 1).map((i) => (quick ? (i * 5) % PAGES : i % PAGES));
  const lookups = quick ? 200 : 2_000;
  const graphUsers = quick ? 100 : 1_000;
  const insertRows = quick ? 1_000 : 10_000;
  const n1Users = quick ? 10 : 1_000;
  const n = (value: number) => value.toLocaleString("en");
  const scaled = (part: number, whole: number) => (quick ? ` (quick mode: ${Math.round((part / whole) * 100)}% of the full workload)` : "");
  return [
      {
        ...NONE,
        id: "w1",
        title: quick ? `W1 graph (${graphUsers} users)` : "W1 graph",
        sample: "run",
        describe:
          `users 1..${n(graphUsers)} with their orders and each order's products (${n(graphUsers)} + ${n(graphUsers * 20)} + ` +
          `${n(graphUsers * 100)} rows)${scaled(graphUsers, 1_000)}; ms per run`,
        warmups: WARMUPS,
        rounds: quick ? 1 : 4,
        runs: 3,
        budgetMs: quick ? 2_500 : 0,
        ...(quick ? { allowanceMs: 15_000 } : {}),
        users: { from: 1, to: graphUsers },
        warmupUsers: { from: 1, to: quick ? 20 : 100 },
      },
      {
        ...NONE,
        id: "w2",
        title: "W2 page",
        sample: "op",
        describe: `${pageLoads} page loads of 20 users (ORDER BY id, OFFSET page*20) with their orders, ${
          quick ? "pages 0, 5, 10, ..., 95" : "pages 0..99 twice"
        }${scaled(pageLoads, 200)}; median ms per page`,
        warmups: WARMUPS,
        rounds: quick ? 1 : 2,
        runs: quick ? 4 : 10,
        budgetMs: 0,
        ...(quick ? { allowanceMs: 10_000 } : {}),
        pages,
        warmupPages: range(0, quick ? 2 : 9),
      },
      {
        ...NONE,
        id: "w3",
        title: "W3 by-pk",
        sample: "op",
        describe: `${n(lookups)} lookups of one user by primary key with its invoice, ids shuffled${scaled(lookups, 2_000)}; median ms per lookup`,
        warmups: WARMUPS,
        rounds: quick ? 1 : 2,
        runs: quick ? 4 : 10,
        budgetMs: 0,
        ...(quick ? { allowanceMs: 8_000 } : {}),
        ids: lookupIds(lookups),
        warmupIds: lookupIds(quick ? 20 : 100),
      },
      {
        ...NONE,
        id: "w4",
        title: quick ? `W4 insert (${n(insertRows)} rows)` : "W4 insert",
        sample: "run",
        describe: `${n(insertRows)} orders inserted in one transaction through the normal insert API, table restored between runs${scaled(
          insertRows,
          10_000,
        )}; ms per run`,
        warmups: WARMUPS,
        rounds: quick ? 1 : 4,
        // A W4 run is short and swings the most (min-max about ±40% of the median for every
        // contender, the raw drivers included), so it takes twice W1's samples: 24, not 12.
        runs: quick ? 3 : 6,
        budgetMs: quick ? 2_000 : 0,
        ...(quick ? { allowanceMs: 10_000 } : {}),
        rows: insertRows,
        warmupRows: quick ? 100 : 1_000,
      },
      {
        ...NONE,
        id: "w5",
        title: quick ? `W5 N+1 (${n1Users} users)` : "W5 N+1",
        sample: "run",
        describe: `W1 by per-object loads for users 1..${n(n1Users)}: 1 + ${n(n1Users)} + ${n(n1Users * 20)} queries${scaled(
          n1Users,
          1_000,
        )}; ms per run`,
        warmups: WARMUPS,
        rounds: quick ? 1 : 2,
        runs: quick ? 2 : 1,
        budgetMs: quick ? 2_000 : 0,
        ...(quick ? { allowanceMs: 10_000 } : {}),
        users: { from: 1, to: n1Users },
        warmupUsers: { from: 1, to: quick ? 1 : 10 },
      },
  ];
}

/**
 * The operations of measured run `index` of W2 or W3: every `runs`-th one from `index` on, so
 * each slice spans all the pages (offsets) or ids.
 */
export function sliceOf<T>(ops: readonly T[], runs: number, index: number): T[] {
  return ops.filter((_, i) => i % runs === index);
}
