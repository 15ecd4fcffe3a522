/**
 * postgres.js 3.4.9 crashed the whole process in 12 of 20 runs when the backend was killed
 * mid-transaction and the next statement was sent (upstream #1208, #1154, #1066). The driver
 * marks the connection broken when its socket closes and refuses to send on it.
 */
import { setTimeout as sleep } from "node:timers/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createEngine, type Engine } from "../../../src/core/engine/engine.js";
import { OperationalError } from "../../../src/core/errors.js";
import { serverCases, SETUP_TIMEOUT_MS } from "../engine/cases.js";

describe.each(serverCases)("backend killed mid-transaction ($name)", (c) => {
  let url: string;
  let admin: Engine;
  beforeAll(async () => {
    url = await c.backend.freshUrl();
    admin = createEngine(url);
    await admin.execute({ sql: "CREATE TABLE ledger (id serial PRIMARY KEY, note text)", params: [] });
  }, SETUP_TIMEOUT_MS);
  afterAll(() => admin?.dispose());

  it("fails the next statement without crashing, and the pool recovers (20 rounds)", async () => {
    await using engine = createEngine(url, { ...c.options, poolSize: 1, maxOverflow: 0 });
    for (let round = 0; round < 20; round++) {
      const conn = await engine.connect();
      await conn.begin();
      await conn.execute({ sql: "INSERT INTO ledger (note) VALUES ($1)", params: [`round ${round}`] });
      const { rows } = await conn.execute({ sql: "SELECT pg_backend_pid()", params: [] });
      await admin.execute({ sql: "SELECT pg_terminate_backend($1)", params: [rows[0]![0]] });
      if (round % 2 === 0) await sleep(20); // half the rounds send before the close is seen
      await expect(conn.execute({ sql: "INSERT INTO ledger (note) VALUES ('after')", params: [] })).rejects.toThrow(
        OperationalError,
      );
      await conn.release();
    }
    const { rows } = await engine.execute({ sql: "SELECT count(*)::int4 FROM ledger", params: [] });
    expect(rows).toEqual([[0]]); // nothing committed, nothing ran outside its transaction
  });
});
