/**
 * Issue 12, defects 1 and 2: after any failure inside a transaction the session refuses every
 * operation with PendingRollbackError until rollback(), never sends COMMIT for an aborted
 * transaction, never runs the next statement on a fresh connection, and rollback() puts the
 * objects in SQLAlchemy's post-rollback state. A lost COMMIT reply (and only that) raises
 * CommitOutcomeUnknownError. On pg, postgres.js and (where it applies) PGlite.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  CommitOutcomeUnknownError, createEngine, DataError, IntegrityError, insert, NotLoadedError, OperationalError, PendingRollbackError,
  select, selectColumns, func, Session, type Engine,
} from "../../../src/index.js";
import { engineCases, serverCases, SETUP_TIMEOUT_MS } from "../../core/engine/cases.js";
import { startTcpProxy, type TcpProxy } from "../../support/tcp-proxy.js";
import {
  backendPid, Child, countRows, createSchema, killBackend, Parent, recordingEngine, TxBase, type RecordingEngine,
} from "./transactions-support.js";

/** Every public operation of a failed session raises PendingRollbackError and sends nothing. */
async function expectRefusing(session: Session, rec: RecordingEngine, known: Parent): Promise<void> {
  const before = rec.lines.length;
  await expect(session.get(Parent, known.id ?? 1)).rejects.toThrow(PendingRollbackError);
  await expect(session.execute(select(Parent))).rejects.toThrow(PendingRollbackError);
  await expect(session.flush()).rejects.toThrow(PendingRollbackError);
  await expect(session.commit()).rejects.toThrow(PendingRollbackError);
  await expect(session.commit()).rejects.toThrow("Call await session.rollback()");
  await expect(session.beginNested()).rejects.toThrow(PendingRollbackError);
  expect(rec.lines.slice(before)).toEqual([]);
}

describe.each(engineCases)("a failure inside a transaction ($name)", (c) => {
  let rec: RecordingEngine;
  let engine: Engine;
  beforeAll(async () => {
    rec = await recordingEngine(await c.backend.freshUrl(), c.options);
    engine = rec.engine;
    await createSchema(engine);
    await engine.execute({ sql: "INSERT INTO parents (id, name) VALUES (1, 'one'), (2, 'two'), (3, 'three')", params: [] });
    await engine.execute({ sql: "SELECT setval('parents_id_seq', 100)", params: [] });
  }, SETUP_TIMEOUT_MS);
  afterAll(() => engine?.dispose());

  it("a failed plain statement: refused until rollback(), no COMMIT sent, nothing written", async () => {
    await using session = new Session(engine);
    const one = (await session.get(Parent, 1))!;
    session.add(new Parent({ name: "plain-statement" }));
    await session.flush();
    const error = await session.execute(insert(TxBase.metadata.table("parents")).values({ id: 2, name: "dup" })).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(IntegrityError);
    await expectRefusing(session, rec, one);
    expect(rec.sql().filter((s) => s === "COMMIT")).toEqual([]);
    await session.rollback();
    expect(await countRows(engine, "SELECT count(*) FROM parents WHERE name = 'plain-statement'")).toBe(0);
    // Usable again.
    expect((await session.get(Parent, 1))!.name).toBe("one");
  });

  it("a failed read after the first write also fails the transaction (PostgreSQL aborted it)", async () => {
    await using session = new Session(engine);
    const one = (await session.get(Parent, 1))!;
    one.name = "one-changed";
    await session.flush();
    await expect(session.execute(selectColumns(func.to_date!("not a date", "YYYY-MM-DD")))).rejects.toThrow(DataError);
    await expectRefusing(session, rec, one);
    await session.rollback();
    expect(await countRows(engine, "SELECT count(*) FROM parents WHERE name = 'one'")).toBe(1);
  });

  it("a deferred foreign key failing at COMMIT: IntegrityError, then refused; a second commit() never reports success", async () => {
    await using session = new Session(engine);
    const [one, three] = (await session.scalars(select(Parent).where(Parent.id.in([1, 3])).orderBy(Parent.id))).all() as [Parent, Parent];
    one.name = "one-renamed";
    const added = new Parent({ name: "added-before-commit" });
    session.add(added);
    session.add(new Child({ name: "orphan", parentId: 999_999 }));
    session.delete(three);
    rec.lines.length = 0;
    const error = await session.commit().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(IntegrityError);
    expect(rec.sql().at(-1)).toBe("COMMIT");
    await expectRefusing(session, rec, one);

    await session.rollback();
    // SQLAlchemy's post-rollback state: pending/inserted expunged, deleted restored, the rest expired.
    expect(session.contains(added)).toBe(false);
    expect(added.id).toBeDefined(); // the flushed key stays on the transient object, as in SQLAlchemy
    expect(session.contains(three)).toBe(true);
    expect(() => one.name).toThrow(NotLoadedError);
    expect(() => three.name).toThrow(NotLoadedError);
    expect(await countRows(engine, "SELECT count(*) FROM parents WHERE name IN ('one', 'three')")).toBe(2);
    expect(await countRows(engine, "SELECT count(*) FROM parents WHERE name = 'added-before-commit'")).toBe(0);
    expect(await countRows(engine, "SELECT count(*) FROM children")).toBe(0);
    expect((await session.get(Parent, 3))).toBe(three);
    expect(three.name).toBe("three");
  });

  it("a failed flush leaves the same refusal, and begin(fn) rolls it back for you", async () => {
    await using session = new Session(engine);
    const outcome = await session.begin(async (s) => {
      s.add(new Parent({ name: "one" })); // unique violation
      await s.flush();
    }).catch((e: unknown) => e);
    expect(outcome).toBeInstanceOf(IntegrityError);
    expect(engine.pool.checkedOut).toBe(0);
    expect((await session.get(Parent, 2))!.name).toBe("two");
  });
});

describe.each(serverCases)("connection faults inside a transaction ($name)", (c) => {
  let rec: RecordingEngine;
  let engine: Engine;
  let admin: Engine;
  let url: string;
  beforeAll(async () => {
    url = await c.backend.freshUrl();
    rec = await recordingEngine(url, c.options);
    engine = rec.engine;
    admin = createEngine(url);
    await createSchema(admin);
    await admin.execute({ sql: "INSERT INTO parents (id, name) VALUES (1, 'one')", params: [] });
    await admin.execute({ sql: "SELECT setval('parents_id_seq', 100)", params: [] });
  }, SETUP_TIMEOUT_MS);
  afterAll(async () => {
    await engine?.dispose();
    await admin?.dispose();
  });

  it("backend killed after the flush: commit() fails (not outcome-unknown), no COMMIT sent, refused until rollback, no new connection", async () => {
    await using session = new Session(engine);
    const one = (await session.get(Parent, 1))!;
    const added = new Parent({ name: "killed-after-flush" });
    session.add(added);
    await session.flush();
    await killBackend(admin, await backendPid(session));
    rec.lines.length = 0;
    const error = await session.commit().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OperationalError);
    expect(error).not.toBeInstanceOf(CommitOutcomeUnknownError);
    expect(rec.sql()).toEqual([]); // COMMIT was not sent on a connection known to be dead
    expect(engine.pool.checkedOut).toBe(0);
    await expectRefusing(session, rec, one);
    expect(engine.pool.checkedOut).toBe(0); // the next query did not take a new connection
    await session.rollback();
    expect(session.contains(added)).toBe(false);
    expect(await countRows(admin, "SELECT count(*) FROM parents WHERE name = 'killed-after-flush'")).toBe(0);
    expect((await session.get(Parent, 1))!.name).toBe("one");
  });

  it("backend killed before a statement: the statement fails, then refused until rollback", async () => {
    await using session = new Session(engine);
    const one = (await session.get(Parent, 1))!;
    one.name = "one-before-kill";
    await session.flush();
    await killBackend(admin, await backendPid(session));
    await expect(session.execute(select(Parent))).rejects.toThrow(OperationalError);
    await expectRefusing(session, rec, one);
    await session.rollback();
    expect(await countRows(admin, "SELECT count(*) FROM parents WHERE name = 'one'")).toBe(1);
  });

  it("a lost COMMIT reply raises CommitOutcomeUnknownError; the server has the row; refused until rollback", async () => {
    const proxy: TcpProxy = await startTcpProxy(url);
    const viaProxy = createEngine(proxy.url, c.options);
    try {
      const session = new Session(viaProxy);
      const one = (await session.get(Parent, 1))!;
      session.add(new Parent({ name: "lost-reply" }));
      await session.flush();
      const swallowed = proxy.loseReplyAfter("COMMIT");
      const error = await session.commit().catch((e: unknown) => e);
      await swallowed;
      expect(error).toBeInstanceOf(CommitOutcomeUnknownError);
      expect((error as CommitOutcomeUnknownError).code).toBe("commit-outcome-unknown");
      expect((error as CommitOutcomeUnknownError).retryable).toBe(false);
      expect((error as Error).message).toMatch(/may or may not have been committed/);
      // The server did commit: check, then decide.
      expect(await countRows(admin, "SELECT count(*) FROM parents WHERE name = 'lost-reply'")).toBe(1);
      await expect(session.get(Parent, one.id)).rejects.toThrow(PendingRollbackError);
      await expect(session.commit()).rejects.toThrow(PendingRollbackError);
      expect(viaProxy.pool.checkedOut).toBe(0);
      await session.rollback();
      await session.close();
    } finally {
      await viaProxy.dispose();
      await proxy.close();
    }
  });

  it("idle_in_transaction_session_timeout ends the transaction: commit() fails and the session refuses until rollback", async () => {
    const timeoutUrl = await c.backend.freshUrl();
    const setup = createEngine(timeoutUrl);
    await createSchema(setup);
    const dbName = new URL(timeoutUrl).pathname.slice(1);
    await setup.execute({ sql: `ALTER DATABASE "${dbName}" SET idle_in_transaction_session_timeout = '150ms'`, params: [] });
    await setup.dispose();
    const timed = createEngine(timeoutUrl, c.options);
    try {
      const session = new Session(timed);
      session.add(new Parent({ name: "idle-too-long" }));
      await session.flush();
      await new Promise((r) => setTimeout(r, 400));
      const error = await session.commit().catch((e: unknown) => e);
      expect(error).toBeInstanceOf(OperationalError);
      await expect(session.execute(select(Parent))).rejects.toThrow(PendingRollbackError);
      await session.rollback();
      expect(await countRows(timed, "SELECT count(*) FROM parents")).toBe(0);
      await session.close();
    } finally {
      await timed.dispose();
    }
  });

  it("a statement timeout fails the transaction: refused until rollback", async () => {
    const timeoutUrl = await c.backend.freshUrl();
    const setup = createEngine(timeoutUrl);
    await createSchema(setup);
    const dbName = new URL(timeoutUrl).pathname.slice(1);
    await setup.execute({ sql: `ALTER DATABASE "${dbName}" SET statement_timeout = '100ms'`, params: [] });
    await setup.dispose();
    const timed = createEngine(timeoutUrl, c.options);
    try {
      const session = new Session(timed);
      session.add(new Parent({ name: "timed-out" }));
      await session.flush();
      const error = await session.execute(selectColumns(func.pg_sleep!(1))).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(OperationalError);
      expect((error as OperationalError).sqlstate).toBe("57014");
      await expect(session.commit()).rejects.toThrow(PendingRollbackError);
      await session.rollback();
      expect(await countRows(timed, "SELECT count(*) FROM parents")).toBe(0);
      await session.close();
    } finally {
      await timed.dispose();
    }
  });
});
