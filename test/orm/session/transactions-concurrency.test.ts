/**
 * Issue 12, defects 3, 4 and 7: one Session serves one task. Two begin(fn) at once, or any call
 * from outside a running begin(fn), are refused before any SQL (ConcurrentSessionUseError); the
 * refused call leaves the session usable; close() always releases the connection, even with a
 * statement in flight; a nested begin() raises instead of committing the outer work.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  ConcurrentSessionUseError, func, InvalidRequestError, ResourceClosedError, select, selectColumns, Session, sessionmaker, type Engine,
} from "../../../src/index.js";
import { engineCases, SETUP_TIMEOUT_MS } from "../../core/engine/cases.js";
import { countRows, createSchema, Parent, recordingEngine, sleep, type RecordingEngine } from "./transactions-support.js";

describe.each(engineCases)("one Session, one task ($name)", (c) => {
  let rec: RecordingEngine;
  let engine: Engine;
  beforeAll(async () => {
    rec = await recordingEngine(await c.backend.freshUrl(), { ...c.options, poolTimeout: 5_000 });
    engine = rec.engine;
    await createSchema(engine);
  }, SETUP_TIMEOUT_MS);
  afterAll(() => engine?.dispose());

  it("two begin(fn) at once: the second is refused before any SQL, and A's row is not committed by anyone when A throws", async () => {
    await using session = new Session(engine);
    rec.lines.length = 0;
    const boom = new Error("A fails");
    const a = session.begin(async (s) => {
      s.add(new Parent({ name: "from-A" }));
      await s.flush();
      await sleep(30);
      throw boom;
    });
    const b = session.begin(async (s) => {
      s.add(new Parent({ name: "from-B" }));
    });
    const [ra, rb] = await Promise.allSettled([a, b]);
    expect(ra).toEqual({ status: "rejected", reason: boom });
    expect(rb.status).toBe("rejected");
    const error = (rb as PromiseRejectedResult).reason as Error;
    expect(error).toBeInstanceOf(ConcurrentSessionUseError);
    expect(error).toBeInstanceOf(InvalidRequestError);
    expect(error.message).toContain("concurrent operations on one Session are not permitted");
    expect(rec.sql().filter((s) => s.includes("from-B") || s === "COMMIT")).toEqual([]);
    expect(await countRows(engine, "SELECT count(*) FROM parents WHERE name IN ('from-A', 'from-B')")).toBe(0);
    // The refused caller changed nothing: the session is fine.
    await session.begin(async (s) => s.add(new Parent({ name: "after-the-race" })));
    expect(await countRows(engine, "SELECT count(*) FROM parents WHERE name = 'after-the-race'")).toBe(1);
    expect(engine.pool.checkedOut).toBe(0);
  });

  it("a call from outside a running begin(fn) is refused (it would join that transaction)", async () => {
    await using session = new Session(engine);
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const inside = session.begin(async (s) => {
      s.add(new Parent({ name: "inside-block" }));
      await s.flush();
      await gate;
      return "ok";
    });
    await sleep(20);
    await expect(session.execute(select(Parent))).rejects.toThrow(ConcurrentSessionUseError);
    await expect(session.commit()).rejects.toThrow(ConcurrentSessionUseError);
    await expect(session.rollback()).rejects.toThrow(ConcurrentSessionUseError);
    release();
    expect(await inside).toBe("ok");
    expect(await countRows(engine, "SELECT count(*) FROM parents WHERE name = 'inside-block'")).toBe(1);
  });

  it("a refused concurrent call leaves the session usable; await using then releases the connection", async () => {
    {
      await using session = new Session(engine);
      const first = session.execute(select(Parent));
      await expect(session.execute(select(Parent))).rejects.toThrow(ConcurrentSessionUseError);
      await first;
      expect((await session.execute(select(Parent))).scalars().all().length).toBeGreaterThan(0);
      expect(engine.pool.checkedOut).toBe(1);
    }
    expect(engine.pool.checkedOut).toBe(0);
  });

  it("close() with a statement in flight releases the connection (cancelling or awaiting it) and never fails as busy", async () => {
    const session = new Session(engine);
    session.add(new Parent({ name: "in-flight" }));
    await session.flush();
    // PGlite cannot cancel: close() waits for the statement, so keep it short there.
    const seconds = c.driver === "pglite" ? 0.3 : 30;
    const running = session.execute(selectColumns(func.pg_sleep!(seconds)));
    running.catch(() => undefined);
    await sleep(50);
    const started = performance.now();
    await session.close();
    expect(performance.now() - started).toBeLessThan(5_000);
    expect(engine.pool.checkedOut).toBe(0);
    expect(session.closed).toBe(true);
    if (c.driver !== "pglite") await expect(running).rejects.toThrow();
    expect(await countRows(engine, "SELECT count(*) FROM parents WHERE name = 'in-flight'")).toBe(0);
    // The connection slot is free: a new session works at once.
    await using next = new Session(engine);
    expect(Array.isArray((await next.execute(select(Parent))).scalars().all())).toBe(true);
  });

  it("an abandoned begin(fn) (Promise.race timeout, close() in finally): released, and its later work never commits", async () => {
    const session = new Session(engine);
    let lateError: unknown;
    let lateDone!: () => void;
    const late = new Promise<void>((r) => (lateDone = r));
    const work = session.begin(async (s) => {
      s.add(new Parent({ name: "abandoned" }));
      await s.flush();
      await sleep(100);
      try {
        s.add(new Parent({ name: "abandoned-late" }));
        await s.flush();
      } catch (e) {
        lateError = e;
      } finally {
        lateDone();
      }
    });
    work.catch(() => undefined);
    try {
      await Promise.race([work, sleep(20).then(() => { throw new Error("request timed out"); })]);
    } catch {
      // the request gave up
    } finally {
      await session.close();
    }
    expect(engine.pool.checkedOut).toBe(0);
    await late;
    expect(lateError).toBeInstanceOf(ResourceClosedError);
    await expect(work).rejects.toThrow(ResourceClosedError);
    expect(engine.pool.checkedOut).toBe(0);
    expect(await countRows(engine, "SELECT count(*) FROM parents WHERE name LIKE 'abandoned%'")).toBe(0);
  });

  it("a nested session.begin() raises (use beginNested) and never commits the outer work", async () => {
    await using session = new Session(engine);
    rec.lines.length = 0;
    const outer = session.begin(async (s) => {
      s.add(new Parent({ name: "outer-work" }));
      await s.flush();
      const nested = await s.begin(async () => "inner").catch((e: unknown) => e);
      expect(nested).toBeInstanceOf(InvalidRequestError);
      expect((nested as Error).message).toContain("session.beginNested()");
      expect(rec.sql().filter((l) => l === "COMMIT")).toEqual([]);
      throw new Error("outer fails after the nested attempt");
    });
    await expect(outer).rejects.toThrow("outer fails");
    expect(await countRows(engine, "SELECT count(*) FROM parents WHERE name = 'outer-work'")).toBe(0);
  });

  it("begin(fn) after a write already began a transaction is refused (it would commit that work too)", async () => {
    await using session = new Session(engine);
    session.add(new Parent({ name: "written-before-begin" }));
    await session.flush();
    await expect(session.begin(async () => undefined)).rejects.toThrow(/already begun/);
    await session.rollback();
    expect(await countRows(engine, "SELECT count(*) FROM parents WHERE name = 'written-before-begin'")).toBe(0);
  });

  it("sessionmaker().begin() of two requests at once: two sessions, both commit", async () => {
    const Sessions = sessionmaker(engine);
    await Promise.all([
      Sessions.begin(async (s) => s.add(new Parent({ name: "request-1" }))),
      Sessions.begin(async (s) => s.add(new Parent({ name: "request-2" }))),
    ]);
    expect(await countRows(engine, "SELECT count(*) FROM parents WHERE name LIKE 'request-%'")).toBe(2);
  });
});

