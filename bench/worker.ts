/**
 * A worker process runs workloads for one contender: a counting pass through the
 * statement-counting proxy (first round only), then, per workload, warm-up runs and measured
 * runs. Started by run.ts as `node --expose-gc --import tsx worker.ts <input.json>`.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { performance } from "node:perf_hooks";
import pg from "pg";
import { expectedInserted, insertedChecksum, newOrders, restoreOrders } from "./lib/dataset.ts";
import { benchPlan, type WorkloadId, type WorkloadPlan } from "./lib/plan.ts";
import { StatementCounter } from "./lib/statement-counter.ts";
import { addChecksums, checksumDiff, emptyChecksum } from "./lib/tally.ts";
import type { Checksum, Contender, ContenderDefinition } from "./lib/types.ts";
import type { WorkerInput, WorkerOutput, WorkloadOutput } from "./lib/worker-protocol.ts";

class WrongResult extends Error {}

type Mode = "warmup" | "count" | "measure";

const input = JSON.parse(readFileSync(process.argv[2] ?? "", "utf8")) as WorkerInput;
const plans = benchPlan(input.quick).workloads.filter((w) => input.workloads.includes(w.id));
/** The runner's own connection, for restoring W4's table and checking what it wrote. */
const admin = new pg.Client({ connectionString: input.url });
const results: WorkerOutput["results"] = {};

try {
  await main();
} catch (error) {
  // Loading or setting up the contender failed: every workload not yet done gets the error.
  for (const plan of plans) if (!results[plan.id] || results[plan.id]?.status === "ok") results[plan.id] = failure(error);
}
writeFileSync(input.output, JSON.stringify({ results, maxRss: process.resourceUsage().maxRSS * 1024 } satisfies WorkerOutput));
// Some ORMs leave timers or sockets behind after teardown; the results are written, so leave.
await admin.end().catch(() => {});
process.exit(0);

async function main(): Promise<void> {
  const definitions = (await import(`./contenders/${input.module}`)).default as ContenderDefinition[];
  const definition = definitions.find((d) => d.name === input.contender);
  if (!definition) throw new Error(`${input.module} has no contender named ${input.contender}`);
  await admin.connect();
  await restoreOrders(admin);
  let todo = plans;

  if (input.countStatements) {
    const { counter, url } = await StatementCounter.start(input.url);
    try {
      const contender = definition.create();
      await contender.setup(url);
      for (const plan of todo) {
        try {
          await runOnce(contender, plan, "warmup");
          counter.count = 0;
          const samples = await runOnce(contender, plan, "count");
          results[plan.id] = { status: "ok", samples: [], statements: counter.count / samples.length };
        } catch (error) {
          results[plan.id] = failure(error);
        }
      }
      await contender.teardown();
    } finally {
      await counter.close();
    }
    // A workload that failed or was wrong while counting is not timed.
    todo = todo.filter((plan) => results[plan.id]?.status === "ok");
  }

  const contender = definition.create();
  await contender.setup(input.url);
  for (const plan of todo) {
    try {
      results[plan.id] = { ...(await measure(contender, plan)), statements: results[plan.id]?.statements };
    } catch (error) {
      results[plan.id] = failure(error);
    }
  }
  await contender.teardown();
}

async function measure(contender: Contender, plan: WorkloadPlan): Promise<WorkloadOutput> {
  for (let i = 0; i < plan.warmups; i++) await runOnce(contender, plan, "warmup");
  const samples: number[] = [];
  let peakHeap = 0;
  const started = performance.now();
  for (let run = 0; run < plan.runs; run++) {
    if (run > 0 && performance.now() - started > plan.budgetMs) break;
    global.gc?.();
    const sampler = setInterval(() => {
      peakHeap = Math.max(peakHeap, process.memoryUsage().heapUsed);
    }, 5);
    try {
      samples.push(...(await runOnce(contender, plan, "measure")));
    } finally {
      clearInterval(sampler);
      peakHeap = Math.max(peakHeap, process.memoryUsage().heapUsed);
    }
  }
  return { status: "ok", samples, peakHeap };
}

/**
 * One run of the workload; returns its timing samples (one per run or per operation). The
 * counting pass runs W2 and W3 on their warm-up operations only: statements per operation do
 * not depend on which page or id it is.
 */
async function runOnce(contender: Contender, plan: WorkloadPlan, mode: Mode): Promise<number[]> {
  const small = mode === "warmup" || (mode === "count" && (plan.id === "w2" || plan.id === "w3"));
  const expected = expectedFor(plan.id, small);
  switch (plan.id) {
    case "w1":
    case "w5": {
      const users = small ? plan.warmupUsers : plan.users;
      const load = plan.id === "w1" ? contender.w1.bind(contender) : contender.w5?.bind(contender);
      if (!load) throw new Error("W5 is not supported");
      const start = performance.now();
      const sum = await load(users);
      const ms = performance.now() - start;
      check(expected, sum);
      return [ms];
    }
    case "w2":
      return perOperation(small ? plan.warmupPages : plan.pages, (page) => contender.w2(page), expected);
    case "w3":
      return perOperation(small ? plan.warmupIds : plan.ids, (id) => contender.w3(id), expected);
    case "w4": {
      const rows = newOrders(small ? plan.warmupRows : plan.rows);
      const start = performance.now();
      try {
        await contender.w4(rows);
        const ms = performance.now() - start;
        check(expectedInserted(rows), await insertedChecksum(admin));
        return [ms];
      } finally {
        await restoreOrders(admin);
      }
    }
  }
}

function expectedFor(id: WorkloadId, small: boolean): Checksum {
  const want = input.expected[id];
  return (small ? want?.warmup : want?.run) ?? emptyChecksum();
}

async function perOperation<T>(args: readonly T[], op: (arg: T) => Promise<Checksum>, expected: Checksum): Promise<number[]> {
  const samples: number[] = [];
  let sum = emptyChecksum();
  for (const arg of args) {
    const start = performance.now();
    const result = await op(arg);
    samples.push(performance.now() - start);
    sum = addChecksums(sum, result);
  }
  check(expected, sum);
  return samples;
}

function check(expected: Checksum, actual: Checksum): void {
  const diff = checksumDiff(expected, actual);
  if (diff.length > 0) throw new WrongResult(`checksum differs: ${diff.join("; ")}`);
}

function failure(error: unknown): WorkloadOutput {
  if (error instanceof WrongResult) return { status: "wrong", samples: [], message: error.message };
  const message = error instanceof Error ? (error.stack?.split("\n").slice(0, 6).join("\n") ?? error.message) : String(error);
  return { status: "error", samples: [], message };
}
