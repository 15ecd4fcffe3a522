/**
 * A worker process holds one contender and runs what the runner asks, one command at a time:
 * set up, count statements, warm up, one measured run, exit. Started by run.ts with
 * `fork("worker.ts", { execArgv: ["--expose-gc", "--import", "tsx"] })`.
 */
import { performance } from "node:perf_hooks";
import pg from "pg";
import { expectedInserted, insertedChecksum, newOrders, restoreOrders } from "./lib/dataset.ts";
import { benchPlan, sliceOf, type WorkloadId, type WorkloadPlan } from "./lib/plan.ts";
import { StatementCounter } from "./lib/statement-counter.ts";
import { addChecksums, checksumDiff, emptyChecksum } from "./lib/tally.ts";
import type { Checksum, Contender, ContenderDefinition } from "./lib/types.ts";
import type { Command, ExpectedChecksums, Reply } from "./lib/worker-protocol.ts";

class WrongResult extends Error {}

interface State {
  definition: ContenderDefinition;
  contender: Contender;
  /** A second instance, connected through the statement-counting proxy; made on first use. */
  counting?: { contender: Contender; counter: StatementCounter };
  url: string;
  plans: Map<WorkloadId, WorkloadPlan>;
  expected: Partial<Record<WorkloadId, ExpectedChecksums>>;
  /** The runner's own connection, for restoring W4's table and checking what it wrote. */
  admin: pg.Client;
}

let state: State | undefined;

// The runner is gone (finished or killed): nothing will ask for results any more.
process.on("disconnect", () => process.exit(0));

process.on("message", (command: Command) => {
  handle(command).then(
    (reply) => process.send?.(reply),
    (error: unknown) => process.send?.(failure(error)),
  );
});

async function handle(command: Command): Promise<Reply> {
  if (command.op === "setup") {
    const definitions = (await import(`./contenders/${command.module}`)).default as ContenderDefinition[];
    const definition = definitions.find((d) => d.name === command.contender);
    if (!definition) throw new Error(`${command.module} has no contender named ${command.contender}`);
    const admin = new pg.Client({ connectionString: command.url });
    await admin.connect();
    await restoreOrders(admin);
    const plans = new Map(benchPlan(command.quick).workloads.map((w) => [w.id, w]));
    const contender = definition.create();
    await contender.setup(command.url);
    state = { definition, contender, url: command.url, plans, expected: command.expected, admin };
    if (command.counting) await countingInstance(state);
    return { ok: true };
  }
  if (command.op === "exit") {
    // Reply before tearing down: some ORMs leave timers or sockets behind, and the process exits anyway.
    setTimeout(() => process.exit(0), 2_000).unref();
    if (state) {
      await state.contender.teardown().catch(() => {});
      await state.counting?.contender.teardown().catch(() => {});
      await state.counting?.counter.close().catch(() => {});
      await state.admin.end().catch(() => {});
    }
    process.send?.({ ok: true, maxRss: process.resourceUsage().maxRSS * 1024 } satisfies Reply, () => process.exit(0));
    return new Promise(() => {});
  }
  if (!state) throw new Error("the worker was not set up");
  const s = state;
  const plan = s.plans.get(command.workload);
  if (!plan) throw new Error(`unknown workload ${command.workload}`);

  switch (command.op) {
    case "count": {
      const counting = await countingInstance(s);
      await runOnce(s, counting.contender, plan, "warmup", 0);
      counting.counter.count = 0;
      // W2 and W3 count their first slice: statements per operation do not depend on the page or id.
      const samples = await runOnce(s, counting.contender, plan, "measure", 0);
      return { ok: true, statements: counting.counter.count / samples.length };
    }
    case "warmup":
      for (let i = 0; i < plan.warmups; i++) await runOnce(s, s.contender, plan, "warmup", 0);
      return { ok: true };
    case "run": {
      global.gc?.();
      let peakHeap = process.memoryUsage().heapUsed;
      const sampler = setInterval(() => {
        peakHeap = Math.max(peakHeap, process.memoryUsage().heapUsed);
      }, 5);
      try {
        const samples = await runOnce(s, s.contender, plan, "measure", command.index);
        return { ok: true, samples, peakHeap: Math.max(peakHeap, process.memoryUsage().heapUsed) };
      } finally {
        clearInterval(sampler);
      }
    }
  }
}

async function countingInstance(s: State): Promise<{ contender: Contender; counter: StatementCounter }> {
  if (!s.counting) {
    const { counter, url } = await StatementCounter.start(s.url);
    const contender = s.definition.create();
    await contender.setup(url);
    s.counting = { contender, counter };
  }
  return s.counting;
}

/** One run of the workload; returns its timing samples (one per run, or one per operation). */
async function runOnce(s: State, contender: Contender, plan: WorkloadPlan, mode: "warmup" | "measure", index: number): Promise<number[]> {
  const want = s.expected[plan.id];
  const expected = (mode === "warmup" ? want?.warmup : (want?.runs[index] ?? want?.runs[0])) ?? emptyChecksum();
  switch (plan.id) {
    case "w1":
    case "w5": {
      const users = mode === "warmup" ? plan.warmupUsers : plan.users;
      const load = plan.id === "w1" ? contender.w1.bind(contender) : contender.w5?.bind(contender);
      if (!load) throw new Error("W5 is not supported");
      const start = performance.now();
      const sum = await load(users);
      const ms = performance.now() - start;
      check(expected, sum);
      return [ms];
    }
    case "w2": {
      const pages = mode === "warmup" ? plan.warmupPages : sliceOf(plan.pages, plan.runs, index);
      return perOperation(pages, (page) => contender.w2(page), expected);
    }
    case "w3": {
      const ids = mode === "warmup" ? plan.warmupIds : sliceOf(plan.ids, plan.runs, index);
      return perOperation(ids, (id) => contender.w3(id), expected);
    }
    case "w4": {
      const rows = newOrders(mode === "warmup" ? plan.warmupRows : plan.rows);
      // The rows are the runner's input, not the contender's work: collect before the clock starts,
      // or the first scavenge inside the timing copies them.
      if (mode === "measure") global.gc?.();
      const start = performance.now();
      try {
        await contender.w4(rows);
        const ms = performance.now() - start;
        check(expectedInserted(rows), await insertedChecksum(s.admin));
        return [ms];
      } finally {
        await restoreOrders(s.admin);
      }
    }
  }
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

function failure(error: unknown): Reply {
  if (error instanceof WrongResult) return { ok: false, status: "wrong", message: error.message };
  const message = error instanceof Error ? (error.stack?.split("\n").slice(0, 6).join("\n") ?? error.message) : String(error);
  return { ok: false, status: "error", message };
}
