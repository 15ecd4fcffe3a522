import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createEngine } from "../../../src/core/engine/engine.js";
import { ArgumentError } from "../../../src/core/errors.js";
import { backends } from "../../support/backends.js";
import { SETUP_TIMEOUT_MS } from "../engine/cases.js";

describe.runIf(backends.some((b) => b.name === "pglite"))("PGlite persisted in a directory", () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "athanor-pglite-"));
  }, SETUP_TIMEOUT_MS);
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it("keeps committed data across engines, and refuses a second engine on the same directory", async () => {
    const url = `pglite://${join(dir, "db")}`;
    const first = createEngine(url);
    await first.execute({ sql: "CREATE TABLE kept (id int4 PRIMARY KEY)", params: [] });
    await first.execute({ sql: "INSERT INTO kept VALUES (1), (2)", params: [] });
    const uncommitted = await first.connect();
    await uncommitted.begin();
    await uncommitted.execute({ sql: "INSERT INTO kept VALUES (3)", params: [] });

    const second = createEngine(url);
    const error = await second.execute({ sql: "SELECT 1", params: [] }).then(() => undefined, (e: unknown) => e);
    expect(error).toBeInstanceOf(ArgumentError);
    expect((error as Error).message).toMatch(/already open by another engine in this process/);

    await first.dispose();
    const { rows } = await second.execute({ sql: "SELECT id FROM kept ORDER BY id", params: [] });
    expect(rows).toEqual([[1], [2]]);
    await second.dispose();
  }, SETUP_TIMEOUT_MS);
});
