import { existsSync, readFileSync } from "node:fs";
import { availableParallelism, cpus, loadavg, release, totalmem } from "node:os";
import { join } from "node:path";
import type { RegistryEntry } from "../contenders/index.ts";

export interface Environment {
  node: string;
  postgres: string;
  cpu: string;
  nproc: number;
  memory: string;
  kernel: string;
  /** 1-minute load average when the report was written: other work on the machine. */
  load: string;
  packages: [name: string, version: string][];
}

export async function describeEnvironment(options: {
  benchDir: string;
  serverVersion: string;
  entries: readonly RegistryEntry[];
}): Promise<Environment> {
  const names = new Set(["tsx", ...options.entries.flatMap((e) => e.packages)]);
  const packages: [string, string][] = [...names].sort().map((name) => [name, installedVersion(options.benchDir, name)]);
  return {
    node: process.version,
    postgres: options.serverVersion,
    cpu: cpus()[0]?.model ?? "unknown",
    nproc: availableParallelism(),
    memory: `${(totalmem() / 1024 ** 3).toFixed(0)} GiB`,
    kernel: `${process.platform} ${release()}`,
    load: loadavg().map((l) => l.toFixed(2)).join(" / "),
    packages,
  };
}

function installedVersion(benchDir: string, name: string): string {
  const file = join(benchDir, "node_modules", name, "package.json");
  if (!existsSync(file)) return "not installed";
  return (JSON.parse(readFileSync(file, "utf8")) as { version: string }).version;
}
