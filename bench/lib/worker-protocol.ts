/**
 * Messages between the runner and a worker process (over the IPC channel of `child_process.fork`).
 * The runner sends one command at a time and waits for its reply, so it can interleave the runs
 * of all contenders.
 */
import type { Checksum } from "./types.ts";
import type { WorkloadId } from "./plan.ts";

export interface ExpectedChecksums {
  /** The warm-up variant of the workload. */
  warmup: Checksum;
  /** Measured run `i` must produce `runs[i]` (W1 and W5 have one entry, the same for every run). */
  runs: Checksum[];
}

export type Command =
  | {
      op: "setup";
      /** File name in bench/contenders/, as listed in contenders/index.ts. */
      module: string;
      contender: string;
      quick: boolean;
      url: string;
      expected: Partial<Record<WorkloadId, ExpectedChecksums>>;
      /** Also set up a second instance behind the statement-counting proxy, for "count". */
      counting: boolean;
    }
  /** Warm-up plus one full run through the statement-counting proxy, on a second instance. */
  | { op: "count"; workload: WorkloadId }
  | { op: "warmup"; workload: WorkloadId }
  | { op: "run"; workload: WorkloadId; index: number }
  | { op: "exit" };

export type WorkloadStatus = "ok" | "wrong" | "error" | "unsupported";

export type Reply =
  | { ok: true; samples?: number[]; statements?: number; peakHeap?: number; maxRss?: number }
  | { ok: false; status: "wrong" | "error"; message: string };
