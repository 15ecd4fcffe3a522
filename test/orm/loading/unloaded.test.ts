/**
 * No hidden I/O: reading something that is not loaded never sends a statement. It either answers
 * without SQL (identity-map many-to-one, NULL foreign key, new objects, noload) or throws an error
 * naming the entity, the attribute and the fix (SQLAlchemy async's MissingGreenlet, made explicit).
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  createEngine, DetachedInstanceError, InvalidRequestError, LazyLoadError, NotLoadedError, noload, select, selectinload, Session,
  type Engine,
} from "../../../src/index.js";
import { assertQueryCount, withStatements } from "../../../src/testing/assert-sql.js";
import { Base, Order, TreeNode, User } from "../../fixtures/models.js";
import { backends } from "../../support/backends.js";

async function seed(engine: Engine): Promise<void> {
  await Base.metadata.createAll(engine);
  for (const sql of [
    "INSERT INTO users (id, email) VALUES (1, 'a@x.com'), (2, 'b@y.com'), (3, 'c@z.com')",
    "INSERT INTO orders (id, user_id, total) VALUES (10, 1, 50), (11, 1, 150), (12, 2, 300)",
    "INSERT INTO invoices (id, user_id, amount) VALUES (100, 1, 9.5)",
    "INSERT INTO nodes (id, parent_id, name) VALUES (1, NULL, 'root'), (2, 1, 'leaf')",
  ]) await engine.execute({ sql, params: [] });
}

/** Runs `fn` expecting it to throw synchronously-or-async; returns the error and the statements sent meanwhile. */
async function failure(engine: Engine, fn: () => unknown): Promise<{ error: Error; sql: string[] }> {
  const { result, statements } = await withStatements(engine, async () => {
    try {
      await fn();
    } catch (error) {
      return error as Error;
    }
    throw new Error("expected an error, none was thrown");
  });
  return { error: result, sql: statements.map((s) => s.sql) };
}

describe.each(backends)("unloaded attributes ($name)", (backend) => {
  let engine: Engine;
  beforeAll(async () => {
    engine = createEngine(await backend.freshUrl());
    await seed(engine);
  });
  afterAll(() => engine.dispose());

  it("reading an unloaded collection sends no statement and throws NotLoadedError naming the fix", async () => {
    await using session = new Session(engine);
    const user = (await session.get(User, 1))!;
    const { error, sql } = await failure(engine, () => user.orders);
    expect(sql).toEqual([]);
    expect(error).toBeInstanceOf(NotLoadedError);
    expect(error).toBeInstanceOf(InvalidRequestError);
    expect(error.message).toContain("'User.orders' is not loaded");
    expect(error.message).toContain("selectinload(User.orders)");
    expect(error.message).toContain('session.load(user, "orders")');
    expect(error.message).toContain("MissingGreenlet");
  });

  it("an unloaded one-to-one suggests joinedload and sends nothing", async () => {
    await using session = new Session(engine);
    const user = (await session.get(User, 1))!;
    const { error, sql } = await failure(engine, () => user.invoice);
    expect(sql).toEqual([]);
    expect(error).toBeInstanceOf(NotLoadedError);
    expect(error.message).toContain("'User.invoice' is not loaded");
    expect(error.message).toContain("joinedload(User.invoice)");
  });

  it("the session stays usable after a NotLoadedError, and the error does not mark the attribute loaded", async () => {
    await using session = new Session(engine);
    const user = (await session.get(User, 1))!;
    expect(() => user.orders).toThrow(NotLoadedError);
    expect(() => user.orders).toThrow(NotLoadedError);
    const again = await assertQueryCount(engine, 2, () =>
      session.scalars(select(User).where(User.id.eq(1)).options(selectinload(User.orders))));
    const loaded = again.one();
    expect(loaded).toBe(user);
    expect(loaded.orders.map((o) => o.id).sort()).toEqual([10, 11]);
  });

  it("a many-to-one whose target is in the identity map is returned with 0 statements", async () => {
    await using session = new Session(engine);
    const user = (await session.get(User, 1))!;
    const orders = (await session.scalars(select(Order).where(Order.userId.eq(1)).orderBy(Order.id))).all();
    expect(orders.map((o) => o.id)).toEqual([10, 11]);
    const owners = await assertQueryCount(engine, 0, async () => orders.map((o) => o.user));
    expect(owners[0]).toBe(user);
    expect(owners[1]).toBe(user);
  });

  it("a many-to-one whose target is not in the identity map throws NotLoadedError, 0 statements", async () => {
    await using session = new Session(engine);
    const order = (await session.get(Order, 12))!;
    const { error, sql } = await failure(engine, () => order.user);
    expect(sql).toEqual([]);
    expect(error).toBeInstanceOf(NotLoadedError);
    expect(error.message).toContain("'Order.user' is not loaded");
    expect(error.message).toContain("joinedload(Order.user)");
  });

  it("a NULL foreign key gives null with 0 statements", async () => {
    await using session = new Session(engine);
    const root = (await session.get(TreeNode, 1))!;
    expect(root.parentId).toBeNull();
    const parent = await assertQueryCount(engine, 0, async () => root.parent);
    expect(parent).toBeNull();
    // The collection side still needs SQL.
    expect(() => root.children).toThrow(NotLoadedError);
    expect(() => root.children).toThrow("selectinload(Node.children)");
  });

  it("transient and pending objects read empty relationships without SQL", async () => {
    await using session = new Session(engine);
    const fresh = new User({ id: 50, email: "new@x.com" });
    const values = await assertQueryCount(engine, 0, async () => [fresh.orders, fresh.invoice]);
    expect(values).toEqual([[], null]);
    const pending = new Order({ id: 60, userId: 1, total: 1 });
    session.add(pending);
    const products = await assertQueryCount(engine, 0, async () => pending.products);
    expect(products).toEqual([]);
    await session.rollback();
  });

  it("noload reads [] and null without SQL, even where rows exist", async () => {
    await using session = new Session(engine);
    const { result, statements } = await withStatements(engine, async () => {
      const users = (await session.scalars(select(User).where(User.id.eq(1)).options(noload(User.orders), noload(User.invoice)))).all();
      return users.map((u) => [u.orders, u.invoice]);
    });
    expect(statements).toHaveLength(1);
    expect(statements[0]!.sql).toMatch(/^SELECT users\.id, users\.email, users\.tenant_id FROM users WHERE users\.id = \$1/);
    expect(result).toEqual([[[], null]]);
  });

  it("JSON.stringify and util.inspect show what is loaded and never throw or query", async () => {
    const { inspect } = await import("node:util");
    await using session = new Session(engine);
    const user = (await session.scalars(select(User).where(User.id.eq(2)).options(selectinload(User.orders)))).one();
    const shown = await assertQueryCount(engine, 0, async () => [JSON.parse(JSON.stringify(user)) as unknown, inspect(user)]);
    expect(shown[0]).toEqual({
      id: 2, email: "b@y.com", tenantId: null,
      orders: [{ id: 12, userId: 2, total: 300, createdAt: expect.any(String) as unknown }],
    });
    expect(shown[1]).toMatch(/^User \{\s+id: 2,\s+email: 'b@y\.com',\s+tenantId: null,\s+orders: (Collection\(1\) )?\[\s+Order \{\s+id: 12,/); // a now() with microseconds is a longer PreciseDate line
    await session.commit();
    // Everything expired: nothing to show, still no error and no query.
    expect(await assertQueryCount(engine, 0, async () => JSON.stringify(user))).toBe("{}");
  });

  describe("after session.close()", () => {
    it("loaded attributes stay readable; unloaded relationships throw DetachedInstanceError without SQL", async () => {
      const session = new Session(engine);
      const users = (await session.scalars(select(User).where(User.id.lt(3)).orderBy(User.id).options(selectinload(User.orders)))).all();
      await session.close();
      const readable = await assertQueryCount(engine, 0, async () => users.map((u) => [u.id, u.email, u.orders.map((o) => o.id).sort()]));
      expect(readable).toEqual([[1, "a@x.com", [10, 11]], [2, "b@y.com", [12]]]);
      const { error, sql } = await failure(engine, () => users[0]!.invoice);
      expect(sql).toEqual([]);
      expect(error).toBeInstanceOf(DetachedInstanceError);
      expect(error.message).toMatch(/^Parent instance <User at 0x[0-9a-f]+> is not bound to a Session; lazy load operation of attribute 'invoice' cannot proceed/);
      expect(error.message).toContain("joinedload(User.invoice)");
      // A loaded collection's members were detached too.
      expect(() => users[0]!.orders[0]!.products).toThrow(/^Parent instance <Order at 0x[0-9a-f]+> is not bound to a Session; lazy load operation of attribute 'products' cannot proceed/);
    });

    it("names the attribute 'orders' for an unloaded collection", async () => {
      const session = new Session(engine);
      const user = (await session.get(User, 2))!;
      await session.close();
      const { error, sql } = await failure(engine, () => user.orders);
      expect(sql).toEqual([]);
      expect(error).toBeInstanceOf(DetachedInstanceError);
      expect(error.message).toMatch(/^Parent instance <User at 0x[0-9a-f]+> is not bound to a Session; lazy load operation of attribute 'orders' cannot proceed/);
      expect(error.message).toContain("selectinload(User.orders)");
    });

    it("with expireOnCommit (the default), commit then close makes even user.id raise", async () => {
      const session = new Session(engine);
      const user = (await session.get(User, 3))!;
      expect(user.id).toBe(3);
      await session.commit();
      await session.close();
      const { error, sql } = await failure(engine, () => user.id);
      expect(sql).toEqual([]);
      expect(error).toBeInstanceOf(DetachedInstanceError);
      expect(error.message).toMatch(/^Instance <User at 0x[0-9a-f]+> is not bound to a Session; attribute refresh operation cannot proceed/);
      expect(error.message).toContain("expireOnCommit: false");
      expect(() => user.email).toThrow(DetachedInstanceError);
    });

    it("with expireOnCommit, the eagerly loaded collections are expired by commit as well", async () => {
      const session = new Session(engine);
      const [user] = (await session.scalars(select(User).where(User.id.eq(1)).options(selectinload(User.orders)))).all();
      expect(user!.orders).toHaveLength(2);
      await session.commit();
      await session.close();
      expect(() => user!.orders).toThrow(DetachedInstanceError);
      expect(() => user!.orders).toThrow("lazy load operation of attribute 'orders' cannot proceed");
    });

    it("after commit without close, an expired column throws NotLoadedError naming refresh()", async () => {
      await using session = new Session(engine);
      const user = (await session.get(User, 3))!;
      await session.commit();
      const { error, sql } = await failure(engine, () => user.email);
      expect(sql).toEqual([]);
      expect(error).toBeInstanceOf(NotLoadedError);
      expect(error.message).toContain("'User.email' was expired");
      expect(error.message).toContain("session.refresh(");
      await session.refresh(user);
      expect(user.email).toBe("c@z.com");
    });

    it("with expireOnCommit: false, columns and loaded collections survive commit and close", async () => {
      const session = new Session(engine, { expireOnCommit: false });
      const [user] = (await session.scalars(select(User).where(User.id.eq(1)).options(selectinload(User.orders)))).all();
      await session.commit();
      await session.close();
      const values = await assertQueryCount(engine, 0, async () => [user!.id, user!.email, user!.orders.map((o) => o.id).sort()]);
      expect(values).toEqual([1, "a@x.com", [10, 11]]);
      expect(() => user!.invoice).toThrow(DetachedInstanceError);
    });

    it("a many-to-one whose target was loaded keeps answering after close only if it was loaded", async () => {
      const session = new Session(engine);
      const order = (await session.get(Order, 10))!;
      const user = (await session.get(User, 1))!;
      expect(order.user).toBe(user); // resolved from the identity map, now loaded
      await session.close();
      expect(order.user).toBe(user);
      const other = new Session(engine);
      const lonely = (await other.get(Order, 12))!;
      await other.close();
      expect(() => lonely.user).toThrow(DetachedInstanceError);
      expect(() => lonely.user).toThrow("lazy load operation of attribute 'user' cannot proceed");
    });

    it("a detached object's many-to-one with a NULL key raises DetachedInstanceError too (the session is checked first)", async () => {
      const session = new Session(engine);
      const root = (await session.get(TreeNode, 1))!;
      await session.close();
      expect(root.parentId).toBeNull();
      const { error, sql } = await failure(engine, () => root.parent);
      expect(sql).toEqual([]);
      expect(error).toBeInstanceOf(DetachedInstanceError);
      expect(error.message).toMatch(/^Parent instance <Node at 0x[0-9a-f]+> is not bound to a Session; lazy load operation of attribute 'parent' cannot proceed/);
    });

    it("raise rules and detachment: lazy='raise' still wins after close", async () => {
      const session = new Session(engine);
      const { raiseload } = await import("../../../src/index.js");
      const [user] = (await session.scalars(select(User).where(User.id.eq(1)).options(raiseload(User.orders)))).all();
      await session.close();
      expect(() => user!.orders).toThrow(LazyLoadError);
    });
  });
});
