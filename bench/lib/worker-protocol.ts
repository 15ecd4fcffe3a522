/** What the runner hands a worker process, and what the worker writes back (both as JSON files). */
import type { Checksum } from "./types.ts";
import type { WorkloadId } from "./plan.ts";

export interface WorkerInput {
  /** Module path relative to bench/contenders/, as listed in contenders/index.ts. */
  module: string;
  contender: string;
  /** Run one after the other in this process (one in full mode, all in quick mode). */
  workloads: WorkloadId[];
  quick: boolean;
  url: string;
  /** Also run each workload once through the statement-counting proxy. */
  countStatements: boolean;
  /** The checksums each measured run and each warm-up run must produce. W4 is checked in the worker. */
  expected: Partial<Record<WorkloadId, { run: Checksum; warmup: Checksum }>>;
  output: string;
}

export type WorkerStatus = "ok" | "wrong" | "error" | "unsupported";

export interface WorkloadOutput {
  status: WorkerStatus;
  /** Timing samples in ms: one per run, or one per operation (see WorkloadPlan.sample). */
  samples: number[];
  /** Statements per sample, from the counting pass. */
  statements?: number;
  /** Highest process.memoryUsage().heapUsed seen while measuring, in bytes (GC forced before each run). */
  peakHeap?: number;
  /** Set when status is "wrong" or "error". */
  message?: string;
}

export interface WorkerOutput {
  results: Partial<Record<WorkloadId, WorkloadOutput>>;
  /** getrusage max RSS of the worker process at exit, in bytes. */
  maxRss: number;
}
