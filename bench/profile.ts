/**
 * Profile one contender on one workload in bench conditions: a fresh process, the full dataset, the
 * same warm-ups, a forced GC before every measured run. Prints wall and CPU time per run, and
 * the medians, so a library change can be judged without a full `npm run bench`.
 *
 *   npx tsx bench/profile.ts "Athanor selectin (pg)" w4 [--runs=15]
 *
 * A W2 or W3 run is every page load or lookup of the workload, timed as a whole.
 *
 * `--cpu-prof=FILE` writes a V8 CPU profile of the measured runs only (not of the dataset load or
 * the warm-ups). Not part of `npm run bench`; RESULTS.md comes only from run.ts.
 */
import { writeFileSync } from "node:fs";
import { Session } from "node:inspector/promises";
import { performance } from "node:perf_hooks";
import pg from "pg";
import { createDatabase, startPostgres } from "../src/testing/postgres-server.ts";
import { registry } from "./contenders/index.ts";
import { createDataset, newOrders, restoreOrders } from "./lib/dataset.ts";
import { benchPlan } from "./lib/plan.ts";
import type { ContenderDefinition } from "./lib/types.ts";

const [name, workload = "w4", ...rest] = process.argv.slice(2);
const runs = Number(rest.find((a) => a.startsWith("--runs="))?.slice(7) ?? 15);
const profileFile = rest.find((a) => a.startsWith("--cpu-prof="))?.slice(11);
if (!name || !["w1", "w2", "w3", "w4"].includes(workload)) {
  console.error('usage: tsx bench/profile.ts "<contender name>" w1|w2|w3|w4 [--runs=N] [--cpu-prof=FILE]');
  process.exit(2);
}

async function definitionNamed(wanted: string): Promise<ContenderDefinition> {
  for (const entry of registry) {
    const definitions = (await import(`./contenders/${entry.module}`).catch(() => ({ default: [] }))).default as ContenderDefinition[];
    const found = definitions.find((d) => d.name === wanted);
    if (found) return found;
  }
  throw new Error(`no contender named ${wanted}`);
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? NaN;

const plan = benchPlan(false).workloads.find((w) => w.id === workload);
if (!plan) throw new Error(`no plan for ${workload}`);
const server = await startPostgres();
try {
  const url = await createDatabase(server.url, "athanor_profile");
  const admin = new pg.Client({ connectionString: url });
  await admin.connect();
  await createDataset(admin);
  const contender = (await definitionNamed(name)).create();
  await contender.setup(url);

  /** One run; returns its wall, CPU and main-thread busy milliseconds. W4's rows are built and its table restored outside the timing, as in worker.ts. */
  const once = async (measured: boolean): Promise<[number, number, number]> => {
    const rows = workload === "w4" ? newOrders(measured ? plan.rows : plan.warmupRows) : [];
    if (measured) global.gc?.();
    const cpuStart = process.cpuUsage();
    const eluStart = performance.eventLoopUtilization();
    const start = performance.now();
    try {
      if (workload === "w1") await contender.w1(measured ? plan.users : plan.warmupUsers);
      else if (workload === "w2") for (const page of measured ? plan.pages : plan.warmupPages) await contender.w2(page);
      else if (workload === "w3") for (const id of measured ? plan.ids : plan.warmupIds) await contender.w3(id);
      else await contender.w4(rows);
      const used = process.cpuUsage(cpuStart);
      const busy = performance.eventLoopUtilization(eluStart).active;
      return [performance.now() - start, (used.user + used.system) / 1000, busy];
    } finally {
      if (workload === "w4") await restoreOrders(admin);
    }
  };
  for (let i = 0; i < plan.warmups; i++) await once(false);

  const inspector = profileFile ? new Session() : undefined;
  if (inspector) {
    inspector.connect();
    await inspector.post("Profiler.enable");
    await inspector.post("Profiler.setSamplingInterval", { interval: 100 });
    await inspector.post("Profiler.start");
  }
  const wall: number[] = [];
  const cpu: number[] = [];
  // Main-thread time not spent waiting for I/O (the event loop's active time; GC on other threads excluded).
  const busy: number[] = [];
  for (let i = 0; i < runs; i++) {
    const [ms, cpuMs, busyMs] = await once(true);
    wall.push(ms);
    cpu.push(cpuMs);
    busy.push(busyMs);
  }
  if (inspector && profileFile) {
    const { profile } = await inspector.post("Profiler.stop");
    writeFileSync(profileFile, JSON.stringify(profile));
    inspector.disconnect();
  }
  console.log(`${name} ${workload}: wall ${wall.map((x) => x.toFixed(0)).join(" ")}`);
  console.log(`${name} ${workload}: cpu  ${cpu.map((x) => x.toFixed(0)).join(" ")}`);
  console.log(`${name} ${workload}: busy ${busy.map((x) => x.toFixed(0)).join(" ")}`);
  console.log(`median wall ${median(wall).toFixed(1)} ms, cpu ${median(cpu).toFixed(1)} ms, main thread busy ${median(busy).toFixed(1)} ms over ${runs} runs`);
  await contender.teardown();
  await admin.end();
} finally {
  await server.stop();
}
