/**
 * The Session's transaction: autobegin, commit, rollback, expiry, session.begin(),
 * sessionmaker().begin() and `await using`. BEGIN/COMMIT/ROLLBACK are not counted by the
 * capture, so the counts below are the statements the ORM asked for.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  createEngine, DetachedInstanceError, InvalidRequestError, NotLoadedError, select, Session, sessionmaker, type Engine,
} from "../../../src/index.js";
import { assertQueryCount, withStatements } from "../../../src/testing/assert-sql.js";
import { Base, Order, User } from "../../fixtures/models.js";
import { backends } from "../../support/backends.js";

const USER_BY_ID = "SELECT users.id, users.email, users.tenant_id FROM users WHERE users.id = $1";
const INSERT_USER = "INSERT INTO users (email) VALUES ($1) RETURNING users.id, users.tenant_id";

async function count(engine: Engine, sql: string, params: unknown[] = []): Promise<number> {
  return (await engine.execute({ sql, params })).rows[0]![0] as number;
}

describe.each(backends)("Session transactions ($name)", (backend) => {
  let engine: Engine;
  beforeAll(async () => {
    engine = createEngine(await backend.freshUrl());
    await Base.metadata.createAll(engine);
    await engine.execute({ sql: "INSERT INTO users (id, email) VALUES (1001, 'keep@x.com'), (1002, 'other@x.com')", params: [] });
  });
  afterAll(() => engine.dispose());

  it("commit() flushes and persists", async () => {
    const session = new Session(engine);
    session.add(new User({ email: "committed@x.com" }));
    const { statements } = await withStatements(engine, () => session.commit());
    expect(statements.map((s) => s.sql)).toEqual([INSERT_USER]);
    expect(statements[0]!.params).toEqual(["committed@x.com"]);
    expect(engine.pool.checkedOut).toBe(0);
    expect(await count(engine, "SELECT count(*)::int FROM users WHERE email = 'committed@x.com'")).toBe(1);
    await session.close();
  });

  it("rollback() discards flushed changes and expires the objects; refresh() reloads them", async () => {
    await using session = new Session(engine);
    const user = (await session.get(User, 1001))!;
    user.email = "changed@x.com";
    await assertQueryCount(engine, 1, () => session.flush());
    await session.rollback();
    expect(engine.pool.checkedOut).toBe(0);
    expect(await count(engine, "SELECT count(*)::int FROM users WHERE email = 'keep@x.com'")).toBe(1);

    // Expired while attached: reading needs a query, which Athanor never runs implicitly.
    await assertQueryCount(engine, 0, async () => {
      expect(() => user.email).toThrow(NotLoadedError);
      expect(() => user.email).toThrow("'User.email' was expired");
      expect(() => user.email).toThrow("Call await session.refresh(obj) first");
    });
    const { result, statements } = await withStatements(engine, () => session.refresh(user));
    expect(result).toBe(user);
    expect(statements.map((s) => s.sql)).toEqual([USER_BY_ID]);
    expect(statements[0]!.params).toEqual([1001]);
    expect(user.email).toBe("keep@x.com");
    expect(await assertQueryCount(engine, 0, () => session.get(User, 1001))).toBe(user);
  });

  it("objects added in a rolled-back transaction become transient", async () => {
    await using session = new Session(engine);
    const flushed = new User({ email: "flushed-then-rolled-back@x.com" });
    const pending = new User({ email: "never-flushed@x.com" });
    session.add(flushed);
    await assertQueryCount(engine, 1, () => session.flush());
    const flushedId = flushed.id;
    session.add(pending);
    expect(session.contains(flushed)).toBe(true);
    expect(session.contains(pending)).toBe(true);
    await session.rollback();
    expect(session.contains(flushed)).toBe(false);
    expect(session.contains(pending)).toBe(false);
    // Transient objects are not expired: their values stay readable.
    expect(flushed.email).toBe("flushed-then-rolled-back@x.com");
    expect(await count(engine, "SELECT count(*)::int FROM users WHERE email LIKE '%rolled-back%' OR email LIKE 'never%'")).toBe(0);
    // Nothing is pending any more: the next commit sends nothing, and the key is not in the map.
    await assertQueryCount(engine, 0, () => session.commit());
    expect(await assertQueryCount(engine, 1, () => session.get(User, flushedId))).toBeNull();
  });

  it("a deleted object comes back as persistent after rollback", async () => {
    await using session = new Session(engine);
    const user = (await session.get(User, 1002))!;
    session.delete(user);
    // Its unloaded orders and invoice are de-associated first (none exist), then the row goes.
    const { statements } = await withStatements(engine, () => session.flush());
    expect(statements.map((s) => s.sql)).toEqual([
      "UPDATE orders SET user_id=$1 WHERE orders.user_id = $2",
      "UPDATE invoices SET user_id=$1 WHERE invoices.user_id = $2",
      "DELETE FROM users WHERE users.id = $1",
    ]);
    expect(await assertQueryCount(engine, 1, () => session.get(User, 1002))).toBeNull();
    await session.rollback();
    expect(session.contains(user)).toBe(true);
    // Back in the identity map, expired: get() refreshes the same object.
    expect(await assertQueryCount(engine, 1, () => session.get(User, 1002))).toBe(user);
    expect(user.email).toBe("other@x.com");
  });

  it("a deleted object leaves the session at flush and is detached at commit", async () => {
    await using session = new Session(engine);
    const user = new User({ email: "to-delete@x.com" });
    session.add(user);
    await session.commit();
    const loaded = (await session.scalars(select(User).where(User.email.eq("to-delete@x.com")))).one();
    expect(loaded).toBe(user);
    session.delete(user);
    expect(session.contains(user)).toBe(true); // marked, not yet flushed
    await assertQueryCount(engine, 3, () => session.flush()); // two de-associating UPDATEs, the DELETE
    expect(session.contains(user)).toBe(false);
    await session.commit();
    expect(session.contains(user)).toBe(false);
    // Detached with what it had loaded (it was not in the identity map, so commit did not expire it).
    expect(user.email).toBe("to-delete@x.com");
    expect(() => user.orders).toThrow(DetachedInstanceError);
    expect(await count(engine, "SELECT count(*)::int FROM users WHERE email = 'to-delete@x.com'")).toBe(0);
  });

  it("rollback() restores a primary key changed in the transaction, in the identity map too", async () => {
    await using session = new Session(engine);
    session.add(new User({ email: "rekey@x.com" }));
    await session.commit();
    const user = (await session.scalars(select(User).where(User.email.eq("rekey@x.com")))).one();
    const oldId = user.id;
    user.id = 77_000;
    await assertQueryCount(engine, 1, () => session.flush());
    expect(await assertQueryCount(engine, 0, () => session.get(User, 77_000))).toBe(user);
    await session.rollback();
    // The row kept its old key: the same object is found (and reloaded) under it.
    const { result, statements } = await withStatements(engine, () => session.get(User, oldId));
    expect(result).toBe(user);
    expect(statements.map((s) => s.sql)).toEqual([USER_BY_ID]);
    expect(statements[0]!.params).toEqual([oldId]);
    expect(user.id).toBe(oldId);
    expect(await assertQueryCount(engine, 1, () => session.get(User, 77_000))).toBeNull();
  });

  it("expireOnCommit (the default) expires everything at commit", async () => {
    await using session = new Session(engine);
    const user = (await session.get(User, 1001))!;
    await session.commit();
    await assertQueryCount(engine, 0, async () => {
      expect(() => user.email).toThrow(NotLoadedError);
      expect(() => user.id).toThrow(NotLoadedError);
    });
    // get() of an expired object reloads it: one SELECT, same object.
    expect(await assertQueryCount(engine, 1, () => session.get(User, 1001))).toBe(user);
    expect(user.email).toBe("keep@x.com");
  });

  it("expireOnCommit: false keeps the loaded values readable after commit, without SQL", async () => {
    await using session = new Session(engine, { expireOnCommit: false });
    const user = (await session.get(User, 1001))!;
    user.tenantId = 7;
    await assertQueryCount(engine, 1, () => session.commit());
    const values = await assertQueryCount(engine, 0, async () => [user.id, user.email, user.tenantId]);
    expect(values).toEqual([1001, "keep@x.com", 7]);
    expect(await assertQueryCount(engine, 0, () => session.get(User, 1001))).toBe(user);
    user.tenantId = null;
    await session.commit();
    expect(await count(engine, "SELECT count(*)::int FROM users WHERE id = 1001 AND tenant_id IS NULL")).toBe(1);
  });

  describe("session.begin()", () => {
    it("commits when the callback returns, and returns its value", async () => {
      await using session = new Session(engine);
      const { result, statements } = await withStatements(engine, () =>
        session.begin(async (s) => {
          expect(s).toBe(session);
          s.add(new User({ email: "begin-ok@x.com" }));
          return "done";
        }),
      );
      expect(result).toBe("done");
      expect(statements.map((s) => s.sql)).toEqual([INSERT_USER]);
      expect(engine.pool.checkedOut).toBe(0);
      expect(await count(engine, "SELECT count(*)::int FROM users WHERE email = 'begin-ok@x.com'")).toBe(1);
    });

    it("rolls back when the callback throws, and rethrows", async () => {
      await using session = new Session(engine);
      const boom = new Error("boom");
      const { statements } = await withStatements(engine, async () => {
        await expect(session.begin(async (s) => {
          s.add(new User({ email: "begin-fail@x.com" }));
          await s.flush();
          throw boom;
        })).rejects.toBe(boom);
      });
      expect(statements.map((s) => s.sql)).toEqual([INSERT_USER]);
      expect(engine.pool.checkedOut).toBe(0);
      expect(await count(engine, "SELECT count(*)::int FROM users WHERE email = 'begin-fail@x.com'")).toBe(0);
    });
  });

  describe("sessionmaker", () => {
    it("begin() commits on success and closes the session", async () => {
      const Sessions = sessionmaker(engine, { expireOnCommit: false });
      let inside: Session | undefined;
      const order = await Sessions.begin(async (s) => {
        inside = s;
        const o = new Order({ total: 12.5, user: (await s.get(User, 1001))! });
        s.add(o);
        return o;
      });
      expect(inside!.closed).toBe(true);
      expect(engine.pool.checkedOut).toBe(0);
      // expireOnCommit: false from the factory keeps the values; close() detached the object.
      expect(order.total).toBe(12.5);
      expect(inside!.contains(order)).toBe(false);
      expect(await count(engine, "SELECT count(*)::int FROM orders WHERE id = $1 AND user_id = 1001", [order.id])).toBe(1);
    });

    it("begin() rolls back on throw, closes, and rethrows", async () => {
      const Sessions = sessionmaker(engine);
      await expect(Sessions.begin(async (s) => {
        s.add(new User({ email: "maker-fail@x.com" }));
        await s.flush();
        throw new InvalidRequestError("stop here");
      })).rejects.toThrow(InvalidRequestError);
      expect(engine.pool.checkedOut).toBe(0);
      expect(await count(engine, "SELECT count(*)::int FROM users WHERE email = 'maker-fail@x.com'")).toBe(0);
    });

    it("await using closes the session and returns its connection to the pool", async () => {
      const Sessions = sessionmaker(engine);
      let outer: Session;
      let user: User;
      {
        await using session = Sessions();
        outer = session;
        user = (await session.scalars(select(User).where(User.id.eq(1001)))).one();
        expect(engine.pool.checkedOut).toBe(1);
      }
      expect(engine.pool.checkedOut).toBe(0);
      expect(outer.closed).toBe(true);
      expect(outer.contains(user)).toBe(false);
      // Loaded values stay readable on the detached object.
      expect(user.email).toBe("keep@x.com");
    });
  });
});
