/**
 * "Types and runtime agree" (docs/typing.md): each case below is checked twice by the same line.
 * `tsc --noEmit` (npm test) checks the types: a line marked `@ts-expect-error` must not compile,
 * every other line must, and `expectTypeOf` pins what compiled. vitest then runs the same lines
 * on PGlite and PostgreSQL: what compiled must run (and load what its type says, with the
 * statements asserted); what did not compile must be refused at run time with ArgumentError
 * before any SQL is sent.
 */
import { afterAll, beforeAll, describe, expect, expectTypeOf, it } from "vitest";
import {
  aliased, ArgumentError, column, containsEager, declarativeBase, defaultload, DetachedInstanceError, joinedload, LazyLoadError, load, noload, raiseload,
  select, selectinload, withLoaderCriteria, type Engine, type Json, type Loaded, type NotLoaded, type Session,
} from "../../../src/index.js";
import { Invoice, Order, Product, User } from "../../fixtures/models.js";
import { backends } from "../../support/backends.js";
import { freshEngine, inFreshSession, PRODUCTS_BY_ORDERS, sortedIds } from "../loading/support.js";

const USERS = "SELECT users.id, users.email, users.tenant_id FROM users";
const ORDERS_BY_USERS =
  "SELECT orders.user_id, orders.id, orders.user_id, orders.total, orders.created_at FROM orders WHERE orders.user_id = ANY($1)";

// A JSON document column without a type argument is `Json`, not `any`.
interface DocModels { Doc: Doc }
const DocBase = declarativeBase<DocModels>();
class Doc extends DocBase.entity("agreement_docs", {
  id: column.integer().primaryKey(),
  body: column.json(),
  meta: column.jsonb().nullable(),
  settings: column.jsonb<{ theme: string }>(),
}) {}
DocBase.register({ Doc });

/** Runs `fn` in a fresh session and asserts it failed with ArgumentError (matching `message`) before any SQL. */
async function refusedBeforeSql(engine: Engine, message: RegExp, fn: (s: Session) => unknown): Promise<void> {
  const { result: error, sql } = await inFreshSession(engine, async (s) => {
    try {
      await fn(s);
    } catch (e) {
      return e;
    }
    return undefined;
  });
  expect(error).toBeInstanceOf(ArgumentError);
  expect((error as Error).message).toMatch(message);
  expect(sql).toEqual([]);
}

describe.each(backends)("types and runtime agree ($name)", (backend) => {
  let engine: Engine;
  beforeAll(async () => {
    engine = await freshEngine(backend);
    await DocBase.metadata.createAll(engine);
  }, 180_000);
  afterAll(() => engine.dispose());

  describe("an option must start at an entity the statement selects", () => {
    it("refuses an option that starts at an entity not selected", async () => {
      await refusedBeforeSql(engine, /Order\.products does not apply: the statement selects User/, async (s) =>
        // @ts-expect-error Order is not selected
        (await s.execute(select(User).options(selectinload(Order.products)))).scalars().all(),
      );
    });

    it("refuses an option that starts at a joined (not selected) entity", async () => {
      await refusedBeforeSql(engine, /Order\.user does not apply/, async (s) =>
        // @ts-expect-error Order is joined, not selected: chain from User.orders instead
        (await s.execute(select(User).join(User.orders).options(containsEager(User.orders), selectinload(Order.user)))).scalars().unique().all(),
      );
    });

    it("refuses load(Entity) chains for an entity not selected, and any option on a statement of columns only", async () => {
      await refusedBeforeSql(engine, /does not apply/, async (s) =>
        // @ts-expect-error Order is not selected
        (await s.execute(select(User).options(load(Order).selectinload(Order.products)))).all(),
      );
      // Refused when the option is added: a statement of columns only never reaches the loaders.
      await refusedBeforeSql(engine, /User\.orders does not apply: the statement selects no entity/, async (s) =>
        // @ts-expect-error the statement selects a column, no entity
        (await s.execute(select(User.id).options(selectinload(User.orders)))).all(),
      );
    });

    it("refuses an option on an aliased statement that starts elsewhere", async () => {
      const u = aliased(User, "u");
      await refusedBeforeSql(engine, /does not apply/, async (s) =>
        // @ts-expect-error the alias selects users; Order.products starts at orders
        (await s.execute(select(u).options(selectinload(Order.products)))).all(),
      );
    });

    it("refuses session.get() options that start elsewhere", async () => {
      await refusedBeforeSql(engine, /Order\.products does not apply: the statement selects User/, (s) =>
        // @ts-expect-error get(User) selects users
        s.get(User, 1, { options: [selectinload(Order.products)] }),
      );
    });

    it("accepts an option at any of several selected entities", async () => {
      const { result: rows, sql } = await inFreshSession(engine, async (s) =>
        (await s.execute(select(User, Order).join(User.orders).where(Order.id.eq(10)).options(selectinload(Order.products), joinedload(User.invoice)))).all(),
      );
      expect(sql).toEqual([
        "SELECT users.id, users.email, users.tenant_id, orders.id, orders.user_id, orders.total, orders.created_at, invoices_1.id, invoices_1.user_id, " +
          "invoices_1.amount FROM users JOIN orders ON users.id = orders.user_id LEFT OUTER JOIN invoices AS invoices_1 ON users.id = invoices_1.user_id " +
          "WHERE orders.id = $1",
        PRODUCTS_BY_ORDERS,
      ]);
      const [user, order] = rows[0]!;
      expectTypeOf(user.invoice).toEqualTypeOf<Invoice | null>();
      expectTypeOf(order.products).toEqualTypeOf<Product[]>();
      expect(user.invoice?.id).toBe(100);
      expect(sortedIds(order.products)).toEqual([1, 2]);
    });

    it("accepts containsEager paths and continues them", async () => {
      const { result: users, sql } = await inFreshSession(engine, async (s) =>
        (await s.execute(select(User).join(User.orders).where(User.id.eq(2)).options(containsEager(User.orders).selectinload(Order.products)))).scalars().unique().all(),
      );
      expect(sql).toEqual([
        "SELECT users.id, users.email, users.tenant_id, orders.id, orders.user_id, orders.total, orders.created_at FROM users " +
          "JOIN orders ON users.id = orders.user_id WHERE users.id = $1",
        PRODUCTS_BY_ORDERS,
      ]);
      expectTypeOf(users[0]!.orders[0]!.products).toEqualTypeOf<Product[]>();
      expect(users[0]!.orders.map((o) => sortedIds(o.products))).toEqual([[2]]);
    });

    it("accepts options that start nowhere: raiseload('*'), load(Other).raiseload('*') (a no-op), withLoaderCriteria", async () => {
      const { result: users, sql, params } = await inFreshSession(engine, async (s) =>
        (await s.execute(
          select(User).where(User.id.eq(1)).options(selectinload(User.orders), raiseload("*"), load(Order).raiseload("*"), withLoaderCriteria(Order, Order.total.gt(100))),
        )).scalars().all(),
      );
      expect(sql).toEqual([
        `${USERS} WHERE users.id = $1`,
        "SELECT orders.user_id, orders.id, orders.user_id, orders.total, orders.created_at FROM orders WHERE orders.total > $1 AND orders.user_id = ANY($2)",
      ]);
      expect(params[1]).toEqual([100, [1]]);
      expect(users[0]!.orders.map((o) => o.total)).toEqual([150]);
    });
  });

  describe("aliased entities", () => {
    it("select(aliased(User)) returns Users, loaded through the alias's attributes", async () => {
      const u = aliased(User, "u");
      const { result: users, sql } = await inFreshSession(engine, async (s) =>
        (await s.execute(select(u).where(u.id.eq(1)).options(selectinload(u.orders)))).scalars().all(),
      );
      expect(sql).toEqual(["SELECT u.id, u.email, u.tenant_id FROM users AS u WHERE u.id = $1", ORDERS_BY_USERS]);
      expectTypeOf(users).toEqualTypeOf<(Omit<User, "orders"> & { orders: Order[] })[]>();
      expect(users[0]).toBeInstanceOf(User);
      expect(sortedIds(users[0]!.orders)).toEqual([10, 11]);
      // Not loaded, through the alias as through the class (read after the session closed, hence "detached").
      // @ts-expect-error invoice was not loaded
      expect(() => users[0]!.invoice?.amount).toThrow(DetachedInstanceError);
    });

    it("an option through the class applies to the alias, and load(alias) roots a chain at it", async () => {
      const u = aliased(User, "u");
      for (const option of [selectinload(User.orders), load(u).selectinload(u.orders)]) {
        const { result: users, sql } = await inFreshSession(engine, async (s) =>
          (await s.execute(select(u).where(u.id.eq(2)).options(option))).scalars().all(),
        );
        expect(sql).toEqual(["SELECT u.id, u.email, u.tenant_id FROM users AS u WHERE u.id = $1", ORDERS_BY_USERS]);
        expectTypeOf(users[0]!.orders).toEqualTypeOf<Order[]>();
        expect(sortedIds(users[0]!.orders)).toEqual([12]);
      }
      // @ts-expect-error load(u) chains start with a relationship of User
      expect(() => load(u).selectinload(Order.products)).toThrow(ArgumentError);
    });

    it("select(User, aliased(Order)) returns [User, Order] rows; options through the alias load the alias's objects", async () => {
      const o = aliased(Order, "o");
      const { result: rows, sql } = await inFreshSession(engine, async (s) =>
        (await s.execute(select(User, o).join(User.orders.of(o)).where(o.id.eq(10)).options(selectinload(o.products)))).all(),
      );
      expect(sql).toEqual([
        "SELECT users.id, users.email, users.tenant_id, o.id, o.user_id, o.total, o.created_at FROM users JOIN orders AS o ON users.id = o.user_id WHERE o.id = $1",
        PRODUCTS_BY_ORDERS,
      ]);
      expectTypeOf(rows).toEqualTypeOf<(readonly [User, Omit<Order, "products"> & { products: Product[] }])[]>();
      const [user, order] = rows[0]!;
      expect(user).toBeInstanceOf(User);
      expect(order).toBeInstanceOf(Order);
      expect(sortedIds(order.products)).toEqual([1, 2]);
      // @ts-expect-error User.orders was not loaded
      expect(() => user.orders.length).toThrow(DetachedInstanceError);
    });

    it("of(alias) takes an alias of the relationship's target only", () => {
      expect(User.orders.of(aliased(Order)).targetEntity?.mapper.name).toBe("Order");
      // @ts-expect-error an alias of Product, but User.orders leads to Order
      expect(() => User.orders.of(aliased(Product))).toThrow(/the alias is of Product, but User\.orders leads to Order/);
    });
  });

  describe("chains", () => {
    it("raiseload()/noload() move the chain to their target, as the path does", async () => {
      const { result: users, sql } = await inFreshSession(engine, async (s) =>
        (await s.execute(select(User).where(User.id.eq(1)).options(selectinload(User.orders).raiseload(Order.user).selectinload(User.invoice)))).scalars().all(),
      );
      expect(sql).toEqual([`${USERS} WHERE users.id = $1`, ORDERS_BY_USERS]);
      type LoadedOrder = (typeof users)[number]["orders"][number];
      expectTypeOf<LoadedOrder["user"]>().toEqualTypeOf<NotLoaded<User, "user: add selectinload/joinedload/... to the query's options, or await session.load()">>();
      expect(users[0]!.orders.length).toBe(2);
      expect(() => users[0]!.orders[0]!.user).toThrow(LazyLoadError);
      // @ts-expect-error after raiseload(Order.user) the chain is at User, where Order.products does not start
      expect(() => selectinload(User.orders).raiseload(Order.user).selectinload(Order.products)).toThrow(/cannot follow Order\.user/);
      // @ts-expect-error the same after noload()
      expect(() => noload(User.orders).joinedload(User.invoice)).toThrow(/cannot follow User\.orders/);
    });

    it("nothing can follow '*': refused when the option is built", () => {
      // @ts-expect-error "*" ends a chain
      expect(() => selectinload(User.orders).raiseload("*").selectinload(Order.products)).toThrow(/cannot follow raiseload\("\*"\)/);
      // @ts-expect-error a bare "*" too
      expect(() => raiseload("*").selectinload(User.orders)).toThrow(/cannot follow raiseload\("\*"\)/);
      // @ts-expect-error and "*" after "*"
      expect(() => noload("*").noload("*")).toThrow(/cannot follow noload\("\*"\)/);
      // @ts-expect-error load(User).raiseload("*") ends its chain as well
      expect(() => load(User).raiseload("*").selectinload(User.orders)).toThrow(ArgumentError);
      expect(defaultload(User.orders).raiseload("*").steps).toHaveLength(2);
    });
  });

  describe("session.load() paths", () => {
    it("refuses an attribute of another entity, even one with the same name", async () => {
      const { result: error, sql } = await inFreshSession(engine, async (s) => {
        const invoices = (await s.execute(select(Invoice).where(Invoice.id.eq(100)))).scalars().all();
        try {
          // @ts-expect-error Order.user is not a relationship of Invoice (Invoice.user has the same name)
          await s.load(invoices, Order.user);
        } catch (e) {
          return e;
        }
        return undefined;
      });
      expect(error).toBeInstanceOf(ArgumentError);
      expect((error as Error).message).toMatch(/Order\.user is not a relationship of Invoice/);
      expect(sql).toEqual(["SELECT invoices.id, invoices.user_id, invoices.amount FROM invoices WHERE invoices.id = $1"]);
    });

    it("refuses a chain whose step does not start where the previous one ends", async () => {
      const { result: error, sql } = await inFreshSession(engine, async (s) => {
        const users = (await s.execute(select(User).where(User.id.eq(1)))).scalars().all();
        try {
          // @ts-expect-error User.orders reaches Order; Invoice.user does not start there (Order.user has the same name)
          await s.load(users, [User.orders, Invoice.user]);
        } catch (e) {
          return e;
        }
        return undefined;
      });
      expect(error).toBeInstanceOf(ArgumentError);
      expect((error as Error).message).toMatch(/Invoice\.user is not a relationship of Order/);
      expect(sql).toEqual([`${USERS} WHERE users.id = $1`]);
    });

    it("loads a valid chain, typed as loaded", async () => {
      const { result: users, sql } = await inFreshSession(engine, async (s) => {
        const plain = (await s.execute(select(User).where(User.id.eq(1)))).scalars().all();
        return s.load(plain, [User.orders, Order.products]);
      });
      expect(sql).toEqual([`${USERS} WHERE users.id = $1`, ORDERS_BY_USERS, PRODUCTS_BY_ORDERS]);
      expectTypeOf(users).toEqualTypeOf<Loaded<User, "orders.products">[]>();
      expect(users[0]!.orders.map((o) => sortedIds(o.products)).sort()).toEqual([[], [1, 2]]);
    });
  });

  describe("JSON columns", () => {
    it("column.json() is typed Json and round-trips any JSON value", async () => {
      expectTypeOf<Doc["body"]>().toEqualTypeOf<Json>();
      expectTypeOf<Doc["meta"]>().toEqualTypeOf<Json>();
      expectTypeOf<Doc["settings"]>().toEqualTypeOf<{ theme: string }>();
      const body = { list: [1, "two", null, true], nested: { deep: [] } };
      const { sql } = await inFreshSession(engine, async (s) => {
        s.add(new Doc({ id: 1, body, meta: null, settings: { theme: "dark" } }));
        await s.commit();
      });
      expect(sql).toEqual(["INSERT INTO agreement_docs (id, body, meta, settings) VALUES ($1, $2, $3, $4)"]);
      const { result: docs, sql: read } = await inFreshSession(engine, async (s) => (await s.execute(select(Doc))).scalars().all());
      expect(read).toEqual(["SELECT agreement_docs.id, agreement_docs.body, agreement_docs.meta, agreement_docs.settings FROM agreement_docs"]);
      const doc = docs[0]!;
      expect(doc.body).toEqual(body);
      // Json is a union: narrow before use, which `any` would have skipped.
      // @ts-expect-error body may be a string, a number, null, ...
      doc.body.list;
      if (typeof doc.body === "object" && doc.body !== null && !Array.isArray(doc.body)) expect(doc.body["list"]).toEqual([1, "two", null, true]);
      expect(doc.settings.theme).toBe("dark");
      // @ts-expect-error not a JSON value
      new Doc({ id: 2, body: new Date(), settings: { theme: "x" } });
    });
  });
});
