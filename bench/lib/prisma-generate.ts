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
import { chmodSync, existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";

const run = promisify(execFile);

export async function prismaGenerate(benchDir: string): Promise<string> {
  const schema = join(benchDir, "prisma", "schema.prisma");
  const client = join(benchDir, "generated", "prisma", "client.ts");
  // What happened when the client was generated, kept for the RESULTS.md of later runs.
  const noteFile = join(benchDir, "generated", "generate-note.txt");
  if (existsSync(client) && statSync(client).mtimeMs >= statSync(schema).mtimeMs) {
    const earlier = existsSync(noteFile) ? readFileSync(noteFile, "utf8").trim() : "";
    return `Prisma client already generated (bench/generated/prisma) by an earlier run. ${earlier}`.trim();
  }
  const note = await generate(benchDir);
  writeFileSync(noteFile, `${note}\n`);
  return note;
}

async function generate(benchDir: string): Promise<string> {
  const cli = join(benchDir, "node_modules", ".bin", "prisma");
  const options = { cwd: benchDir, timeout: 120_000, env: { ...process.env, PRISMA_HIDE_UPDATE_MESSAGE: "1" } };
  try {
    await run(cli, ["generate"], options);
    return "`prisma generate` ran as is.";
  } catch (error) {
    const first = firstLine(error);
    if (!/ENOTFOUND|EAI_AGAIN|ECONNREFUSED|ETIMEDOUT|fetch failed|request to/i.test(first)) throw error;
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
  const line = text.split("\n").find((l) => /error/i.test(l))?.trim() ?? String(e.message).split("\n")[0] ?? "";
  // The note goes into RESULTS.md: name no download host there.
  return line.replace(/https?:\/\/\S+/g, "<download URL>").replace(/(ENOTFOUND|EAI_AGAIN)\s+\S+/g, "$1 <host>");
}
