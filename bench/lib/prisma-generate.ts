/**
 * Runs `prisma generate` for contenders/prisma.ts when its client is missing or older than the
 * schema, and returns a note for RESULTS.md.
 *
 * Prisma 7's client needs no engine binary at run time (the query compiler is WebAssembly and
 * the queries go through @prisma/adapter-pg), but the CLI downloads the schema engine from
 * Prisma's binary host before any command, `generate` included, although `generate` never runs
 * it. Offline, that download fails. The runner then retries with PRISMA_SCHEMA_ENGINE_BINARY
 * pointing at a stub that only exits with an error, and says so in RESULTS.md.
 */
import { execFile } from "node:child_process";
import { chmodSync, existsSync, mkdirSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";

const run = promisify(execFile);

export async function prismaGenerate(benchDir: string): Promise<string> {
  const schema = join(benchDir, "prisma", "schema.prisma");
  const client = join(benchDir, "generated", "prisma", "client.ts");
  if (existsSync(client) && statSync(client).mtimeMs >= statSync(schema).mtimeMs) {
    return "`prisma generate`: client already generated (bench/generated/prisma).";
  }
  const cli = join(benchDir, "node_modules", ".bin", "prisma");
  const options = { cwd: benchDir, timeout: 120_000, env: { ...process.env, PRISMA_HIDE_UPDATE_MESSAGE: "1" } };
  try {
    await run(cli, ["generate"], options);
    return "`prisma generate` ran as is.";
  } catch (error) {
    const first = firstLine(error);
    if (!/binaries\.prisma\.sh|ENOTFOUND|EAI_AGAIN|ECONNREFUSED|fetch failed|request to/i.test(first)) throw error;
    const stub = join(benchDir, ".work", "schema-engine-stub");
    mkdirSync(join(benchDir, ".work"), { recursive: true });
    writeFileSync(stub, '#!/bin/sh\necho "schema engine not available offline (bench stub)" >&2\nexit 1\n');
    chmodSync(stub, 0o755);
    await run(cli, ["generate"], { ...options, env: { ...options.env, PRISMA_SCHEMA_ENGINE_BINARY: stub } });
    return (
      "`prisma generate` could not run offline as is: before generating, the CLI downloads the schema engine " +
      `(\`${first.slice(0, 160)}\`). The schema engine is only used by migrate/db commands, so the bench reran ` +
      "`prisma generate` with `PRISMA_SCHEMA_ENGINE_BINARY` pointing at a stub; the generated client and its " +
      "run time need no download."
    );
  }
}

function firstLine(error: unknown): string {
  const e = error as { stderr?: string; stdout?: string; message?: string };
  const text = `${e.stderr ?? ""}\n${e.stdout ?? ""}\n${e.message ?? ""}`;
  return text.split("\n").find((line) => /error/i.test(line))?.trim() ?? String(e.message).split("\n")[0] ?? "";
}
