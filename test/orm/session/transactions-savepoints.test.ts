/**
 * session.beginNested() (SQLAlchemy's begin_nested): flush before SAVEPOINT, callback and handle
 * forms, rollback to the savepoint expiring only what changed since it, a failure inside it
 * recoverable by its own rollback, and a savepoint lost underneath reported by a warning.
 */
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import {
  IntegrityError, NestedTransaction, NotLoadedError, PendingRollbackError, select, Session, setWarningSink, type Connection, type Engine,
} from "../../../src/index.js";
import { assertQueryCount } from "../../../src/testing/assert-sql.js";
import { engineCases, SETUP_TIMEOUT_MS } from "../../core/engine/cases.js";
import { countRows, createSchema, Parent, recordingEngine, type RecordingEngine } from "./transactions-support.js";

/** The statements a call sent, BEGIN/SAVEPOINT/COMMIT included. */
async function sent(rec: RecordingEngine, fn: () => Promise<unknown>): Promise<string[]> {
  const from = rec.lines.length;
  await fn();
  return rec.sql().slice(from);
}

/** The session's connection, to send a statement behind its back (as an application might). */
function connectionOf(session: Session): Connection {
  return (session as unknown as { tx: { connection: Connection } }).tx.connection;
}

describe.each(engineCases)("savepoints ($name)", (c) => {
  let rec: RecordingEngine;
  let engine: Engine;
  const warnings: string[] = [];
  let previousSink: ReturnType<typeof setWarningSink>;
  beforeAll(async () => {
    rec = await recordingEngine(await c.backend.freshUrl(), c.options);
    engine = rec.engine;
    await createSchema(engine);
    previousSink = setWarningSink((message) => warnings.push(message));
  }, SETUP_TIMEOUT_MS);
  afterAll(async () => {
    setWarningSink(previousSink);
    await engine?.dispose();
  });
  beforeEach(async () => {
    await engine.execute({ sql: "DELETE FROM children", params: [] });
    await engine.execute({ sql: "DELETE FROM parents", params: [] });
    await engine.execute({ sql: "INSERT INTO parents (id, name) VALUES (1, 'a'), (2, 'b')", params: [] });
    await engine.execute({ sql: "SELECT setval('parents_id_seq', 100)", params: [] });
    warnings.length = 0;
  });
  afterEach(() => expect(engine.pool.checkedOut).toBe(0));

  it("callback form: flushes before SAVEPOINT; a throw rolls back to it and the outer transaction goes on", async () => {
    await using session = new Session(engine);
    const outer = new Parent({ name: "outer" });
    session.add(outer);
    let inner: Parent | undefined;
    const boom = new Error("inner fails");
    const lines = await sent(rec, () =>
      session.beginNested(async (s) => {
        inner = new Parent({ name: "inner" });
        s.add(inner);
        await s.flush();
        throw boom;
      }).catch((e: unknown) => expect(e).toBe(boom)),
    );
    expect(lines[0]).toBe("BEGIN");
    expect(lines[1]).toMatch(/^INSERT INTO parents/);
    expect(lines[2]).toMatch(/^SAVEPOINT athanor_sp_\d+$/);
    expect(lines[3]).toMatch(/^INSERT INTO parents/);
    expect(lines[4]).toBe(lines[2]!.replace("SAVEPOINT", "ROLLBACK TO SAVEPOINT"));
    expect(lines).toHaveLength(5);
    expect(session.contains(inner!)).toBe(false);
    expect(session.contains(outer)).toBe(true);
    // Not changed since the savepoint: still loaded, no SQL to read it.
    expect(await assertQueryCount(engine, 0, async () => outer.name)).toBe("outer");
    await session.commit();
    expect(await countRows(engine, "SELECT count(*) FROM parents WHERE name IN ('outer', 'inner')")).toBe(1);
    expect(await countRows(engine, "SELECT count(*) FROM parents WHERE name = 'outer'")).toBe(1);
  });

  it("handle form: commit() releases (its work commits with the transaction); a session rollback undoes it too", async () => {
    await using session = new Session(engine);
    const sp = await session.beginNested();
    expect(sp).toBeInstanceOf(NestedTransaction);
    expect(sp.isActive).toBe(true);
    session.add(new Parent({ name: "released" }));
    const lines = await sent(rec, () => sp.commit());
    expect(lines.at(-1)).toBe(`RELEASE SAVEPOINT ${sp.name}`);
    expect(lines[0]).toMatch(/^INSERT INTO parents/); // flushed before RELEASE
    expect(sp.isActive).toBe(false);
    await session.rollback();
    expect(await countRows(engine, "SELECT count(*) FROM parents WHERE name = 'released'")).toBe(0);

    const again = await session.beginNested();
    session.add(new Parent({ name: "released-committed" }));
    await again.commit();
    await session.commit();
    expect(await countRows(engine, "SELECT count(*) FROM parents WHERE name = 'released-committed'")).toBe(1);
  });

  it("rolling back a savepoint expires only what changed since it, and restores what it deleted", async () => {
    await using session = new Session(engine);
    const [a, b] = (await session.scalars(select(Parent).orderBy(Parent.id))).all() as [Parent, Parent];
    a.name = "a-before-savepoint";
    const sp = await session.beginNested(); // flushes a's change first
    b.name = "b-inside";
    await session.flush();
    session.delete(a);
    await session.flush();
    expect(session.contains(a)).toBe(false);
    const added = new Parent({ name: "added-inside" });
    session.add(added);
    await sp.rollback();
    expect(session.contains(added)).toBe(false);
    expect(session.contains(a)).toBe(true);
    expect(() => b.name).toThrow(NotLoadedError); // changed since the savepoint: expired
    await session.refresh(b);
    expect(b.name).toBe("b");
    await session.refresh(a);
    expect(a.name).toBe("a-before-savepoint");
    await session.commit();
    expect((await engine.execute({ sql: "SELECT name FROM parents ORDER BY id", params: [] })).rows).toEqual([["a-before-savepoint"], ["b"]]);
  });

  it("an unchanged object keeps its loaded state through a savepoint rollback", async () => {
    await using session = new Session(engine);
    const [a, b] = (await session.scalars(select(Parent).orderBy(Parent.id))).all() as [Parent, Parent];
    await session.beginNested(async (s) => {
      b.name = "b-changed";
      await s.flush();
      throw new Error("undo");
    }).catch(() => undefined);
    expect(await assertQueryCount(engine, 0, async () => a.name)).toBe("a");
    expect(() => b.name).toThrow(NotLoadedError);
    await session.rollback();
  });

  it("a failed flush inside a savepoint: refused until the savepoint's rollback, then the outer work commits", async () => {
    await using session = new Session(engine);
    session.add(new Parent({ name: "kept" }));
    const sp = await session.beginNested();
    session.add(new Parent({ name: "a" })); // duplicate name
    await expect(session.flush()).rejects.toThrow(IntegrityError);
    await expect(session.execute(select(Parent))).rejects.toThrow(PendingRollbackError);
    await expect(session.commit()).rejects.toThrow(PendingRollbackError);
    await expect(sp.commit()).rejects.toThrow(PendingRollbackError);
    await sp.rollback();
    await session.commit();
    expect(await countRows(engine, "SELECT count(*) FROM parents WHERE name = 'kept'")).toBe(1);
  });

  it("the callback form is the insert-or-skip idiom: conflicts roll back to the savepoint only", async () => {
    await using session = new Session(engine);
    let skipped = 0;
    for (const name of ["x", "a", "y", "b"]) {
      await session.beginNested(async (s) => {
        s.add(new Parent({ name }));
        await s.flush();
      }).catch((e: unknown) => {
        if (!(e instanceof IntegrityError)) throw e;
        skipped++;
      });
    }
    await session.commit();
    expect(skipped).toBe(2);
    expect(await countRows(engine, "SELECT count(*) FROM parents")).toBe(4);
  });

  // Both found by the model-based test (faults/model.test.ts).
  it("rollback() after commit() leaves the committed objects persistent", async () => {
    await using session = new Session(engine);
    const added = new Parent({ name: "committed-then-rollback" });
    session.add(added);
    await session.flush();
    const id = added.id;
    await session.commit();
    await session.rollback();
    expect(session.contains(added)).toBe(true);
    expect(await session.get(Parent, id)).toBe(added);
  });

  it("an object inserted and deleted in a rolled-back transaction is transient, not back in the identity map", async () => {
    await using session = new Session(engine);
    const added = new Parent({ name: "inserted-then-deleted" });
    session.add(added);
    const sp = await session.beginNested();
    session.delete(added);
    await sp.commit();
    await session.rollback();
    expect(session.contains(added)).toBe(false);
    expect(session.identityMap.size).toBe(0);
  });

  it("an inner savepoint ended by its outer one's rollback: its own rollback warns and sends nothing", async () => {
    await using session = new Session(engine);
    const outer = await session.beginNested();
    const inner = await session.beginNested();
    await outer.rollback();
    const lines = await sent(rec, () => inner.rollback());
    expect(lines).toEqual([]);
    expect(warnings.join("\n")).toMatch(/has already ended/);
    await session.commit();
  });

  it("a savepoint released behind the session's back: rollback() warns instead of failing, and the session asks for rollback", async () => {
    await using session = new Session(engine);
    session.add(new Parent({ name: "before-lost-savepoint" }));
    const sp = await session.beginNested();
    await connectionOf(session).execute({ sql: `RELEASE SAVEPOINT ${sp.name}`, params: [] });
    await sp.rollback(); // does not throw "savepoint does not exist"
    expect(warnings.join("\n")).toMatch(/no longer exists/);
    await expect(session.commit()).rejects.toThrow(PendingRollbackError);
    await session.rollback();
    expect(await countRows(engine, "SELECT count(*) FROM parents WHERE name = 'before-lost-savepoint'")).toBe(0);
  });

  it("a transaction ended behind the session's back: the savepoint's commit() warns, nothing more is sent", async () => {
    await using session = new Session(engine);
    session.add(new Parent({ name: "ended-underneath" }));
    const sp = await session.beginNested();
    await connectionOf(session).execute({ sql: "ROLLBACK", params: [] });
    const lines = await sent(rec, () => sp.commit());
    expect(lines).toEqual([]);
    expect(warnings.join("\n")).toMatch(/no longer exists/);
    await expect(session.flush()).rejects.toThrow(PendingRollbackError);
    await session.rollback();
  });
});
