/**
 * Isolation levels and access modes per engine, session and transaction; the retry helper for
 * serialization failures (the whole callback again, bounded); the transaction deadline.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  ArgumentError, CommitOutcomeUnknownError, createEngine, InternalError, isRetryableError, PendingRollbackError, select, SerializationFailureError,
  Session, sessionmaker, TransactionDeadlineError, withRetry, type Engine,
} from "../../../src/index.js";
import { engineCases, serverCases, SETUP_TIMEOUT_MS } from "../../core/engine/cases.js";
import { countRows, createSchema, Parent, recordingEngine, sleep, type RecordingEngine } from "./transactions-support.js";

describe.each(engineCases)("isolation, access mode and deadline ($name)", (c) => {
  let rec: RecordingEngine;
  let engine: Engine;
  let url: string;
  beforeAll(async () => {
    url = await c.backend.freshUrl();
    rec = await recordingEngine(url, c.options);
    engine = rec.engine;
    await createSchema(engine);
    await engine.execute({ sql: "INSERT INTO parents (id, name) VALUES (1, 'one')", params: [] });
    await engine.execute({ sql: "SELECT setval('parents_id_seq', 100)", params: [] });
  }, SETUP_TIMEOUT_MS);
  afterAll(() => engine?.dispose());

  it("a session's isolationLevel: BEGIN ... comes before the first read (the snapshot covers it)", async () => {
    await using session = new Session(engine, { isolationLevel: "repeatable read" });
    const from = rec.lines.length;
    await session.get(Parent, 1);
    const sent = rec.sql().slice(from);
    expect(sent[0]).toBe("BEGIN ISOLATION LEVEL REPEATABLE READ");
    expect(sent[1]).toMatch(/^SELECT parents\.id/);
  });

  it("begin(fn, options) overrides the session's; readOnly refuses writes and nothing is written", async () => {
    await using session = new Session(engine, { isolationLevel: "repeatable read" });
    const from = rec.lines.length;
    const error = await session.begin(async (s) => {
      s.add(new Parent({ name: "in-read-only" }));
      await s.flush();
    }, { isolationLevel: "serializable", readOnly: true }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InternalError); // SQLSTATE 25006, class 25
    expect((error as InternalError).sqlstate).toBe("25006");
    expect(rec.sql().slice(from)[0]).toBe("BEGIN ISOLATION LEVEL SERIALIZABLE READ ONLY");
    expect(await countRows(engine, "SELECT count(*) FROM parents WHERE name = 'in-read-only'")).toBe(0);
    expect(() => new Session(engine, { isolationLevel: "snapshot" as never })).toThrow(ArgumentError);
    await expect(session.begin(async () => 1, { deferrable: "yes" as never })).rejects.toThrow(ArgumentError);
  });

  it("the engine's isolationLevel reaches sessions", async () => {
    const serial = await recordingEngine(url, { ...c.options, isolationLevel: "serializable" });
    try {
      if (c.driver === "pglite") {
        // pglite://memory is a new database per engine.
        await createSchema(serial.engine);
        await serial.engine.execute({ sql: "INSERT INTO parents (id, name) VALUES (1, 'one')", params: [] });
        await serial.engine.execute({ sql: "SELECT setval('parents_id_seq', 100)", params: [] });
      }
      await using session = new Session(serial.engine);
      await session.begin(async (s) => s.add(new Parent({ name: "engine-serializable" })));
      expect(serial.sql()).toContain("BEGIN ISOLATION LEVEL SERIALIZABLE");
      // A session's own option wins.
      await using rc = new Session(serial.engine, { isolationLevel: "read committed" });
      await rc.get(Parent, 1);
      expect(serial.sql()).toContain("BEGIN ISOLATION LEVEL READ COMMITTED");
    } finally {
      await serial.engine.dispose();
    }
  });

  it("after the deadline no statement reaches the server and nothing commits", async () => {
    await using session = new Session(engine);
    const from = rec.lines.length;
    const error = await session.begin(async (s) => {
      s.add(new Parent({ name: "before-deadline" }));
      await s.flush();
      await sleep(80);
      s.add(new Parent({ name: "after-deadline" }));
      await s.flush();
    }, { timeout: 40 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TransactionDeadlineError);
    const sent = rec.sql().slice(from).filter((l) => !l.includes("reset on return"));
    expect(sent[0]).toBe("BEGIN");
    expect(sent[1]).toMatch(/^INSERT INTO parents/);
    expect(sent.slice(2)).toEqual(["ROLLBACK"]);
    expect(await countRows(engine, "SELECT count(*) FROM parents WHERE name LIKE '%-deadline'")).toBe(0);
  });

  it("transactionTimeout (session option): a commit after the deadline is refused; the session asks for rollback", async () => {
    await using session = new Session(engine, { transactionTimeout: 40 });
    session.add(new Parent({ name: "slow-commit" }));
    await session.flush();
    await sleep(80);
    const from = rec.lines.length;
    await expect(session.commit()).rejects.toThrow(TransactionDeadlineError);
    expect(rec.sql().slice(from)).toEqual([]);
    await expect(session.execute(select(Parent))).rejects.toThrow(PendingRollbackError);
    await session.rollback();
    expect(await countRows(engine, "SELECT count(*) FROM parents WHERE name = 'slow-commit'")).toBe(0);
    // The next transaction gets a fresh deadline.
    session.add(new Parent({ name: "fast-commit" }));
    await session.commit();
    expect(await countRows(engine, "SELECT count(*) FROM parents WHERE name = 'fast-commit'")).toBe(1);
  });
});

describe("withRetry", () => {
  it("runs the callback again for retryable errors only, bounded, and rethrows the last error", async () => {
    const conflict = new SerializationFailureError("could not serialize access", { sql: "COMMIT", params: [], sqlstate: "40001", cause: undefined });
    let calls = 0;
    await expect(withRetry(async () => { calls++; throw conflict; }, { attempts: 3, baseDelayMs: 1 })).rejects.toBe(conflict);
    expect(calls).toBe(3);

    calls = 0;
    const unknown = new CommitOutcomeUnknownError("lost", { sql: "COMMIT", params: [], sqlstate: undefined, cause: undefined });
    await expect(withRetry(async () => { calls++; throw unknown; })).rejects.toBe(unknown);
    expect(calls).toBe(1);

    // Wrapped (a PendingRollbackError caused by a serialization failure) still counts.
    expect(isRetryableError(new PendingRollbackError("x", { cause: conflict }))).toBe(true);
    const delays: number[] = [];
    calls = 0;
    expect(await withRetry(async (attempt) => { calls++; if (attempt < 3) throw conflict; return "done"; }, {
      baseDelayMs: 4, maxDelayMs: 6, onRetry: (_e, _a, d) => delays.push(d),
    })).toBe("done");
    expect(calls).toBe(3);
    expect(delays.every((d) => d >= 0 && d <= 6)).toBe(true);
    await expect(withRetry(async () => 1, { attempts: 0 })).rejects.toThrow(ArgumentError);
  });
});

describe.each(serverCases)("withRetry against real serialization failures ($name)", (c) => {
  let engine: Engine;
  beforeAll(async () => {
    engine = createEngine(await c.backend.freshUrl(), c.options);
    await createSchema(engine);
    await engine.execute({ sql: "INSERT INTO parents (id, name) VALUES (1, 'counter-0')", params: [] });
  }, SETUP_TIMEOUT_MS);
  afterAll(() => engine?.dispose());

  it("re-runs the whole unit of work (reads included) after a 40001 and commits once", async () => {
    const Sessions = sessionmaker(engine, { isolationLevel: "serializable" });
    let attempts = 0;
    const result = await withRetry(() => Sessions.begin(async (s) => {
      attempts++;
      const p = (await s.get(Parent, 1))!;
      const n = Number(p.name.split("-")[1]);
      if (attempts === 1) {
        // Another transaction changes the row this one read, and commits first.
        await engine.execute({ sql: "UPDATE parents SET name = 'counter-10' WHERE id = 1", params: [] });
      }
      p.name = `counter-${n + 1}`;
      return n + 1;
    }), { baseDelayMs: 1 });
    expect(attempts).toBe(2);
    expect(result).toBe(11);
    expect((await engine.execute({ sql: "SELECT name FROM parents WHERE id = 1", params: [] })).rows).toEqual([["counter-11"]]);
  });
});
