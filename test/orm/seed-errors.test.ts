/**
 * The seed's "Resolving Warnings, Errors & Common Mistakes" table, row by row, translated to
 * Athanor: each error or warning is raised where SQLAlchemy raises it, and its message names the
 * entity, the attribute and the fix.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import {
  ArgumentError, column, containsEager, createEngine, declarativeBase, DetachedInstanceError, InvalidRequestError, joinedload,
  LazyLoadError, NotLoadedError, raiseload, select, selectinload, Session, sessionmaker, setWarningSink, UniqueRequiredError,
  type Engine, type Loaded,
} from "../../src/index.js";
import { assertQueryCount, withStatements } from "../../src/testing/assert-sql.js";
import { Base, Order, User } from "../fixtures/models.js";
import { backends } from "../support/backends.js";

// The seed's "raiseload as a production safety net" models: lazy="raise" on the model.
interface SafeModels {
  User: SafeUser;
  Order: SafeOrder;
  Invoice: SafeInvoice;
  Review: SafeReview;
}
const Safe = declarativeBase<SafeModels>();

class SafeUser extends Safe.entity("safe_users", {
  id: column.integer().primaryKey(),
  email: column.text(),
  orders: Safe.many("Order", { backPopulates: "user", lazy: "raise" }),
  invoice: Safe.one("Invoice", { backPopulates: "user", lazy: "raise" }),
  reviews: Safe.many("Review", { backPopulates: "user" }),
}) {}

class SafeOrder extends Safe.entity("safe_orders", {
  id: column.integer().primaryKey(),
  userId: column.integer().references("safe_users.id"),
  total: column.double(),
  user: Safe.one("User", { backPopulates: "orders" }),
}) {}

class SafeInvoice extends Safe.entity("safe_invoices", {
  id: column.integer().primaryKey(),
  userId: column.integer().references("safe_users.id").unique(),
  amount: column.double(),
  user: Safe.one("User", { backPopulates: "invoice" }),
}) {}

class SafeReview extends Safe.entity("safe_reviews", {
  id: column.integer().primaryKey(),
  userId: column.integer().references("safe_users.id"),
  stars: column.integer(),
  user: Safe.one("User", { backPopulates: "reviews" }),
}) {}

Safe.register({ User: SafeUser, Order: SafeOrder, Invoice: SafeInvoice, Review: SafeReview });

async function seed(engine: Engine): Promise<void> {
  await Base.metadata.createAll(engine);
  await Safe.metadata.createAll(engine);
  for (const sql of [
    "INSERT INTO users (id, email) VALUES (1, 'a@x.com'), (2, 'b@y.com')",
    "INSERT INTO orders (id, user_id, total) VALUES (10, 1, 50), (11, 1, 150), (12, 2, 300)",
    "INSERT INTO invoices (id, user_id, amount) VALUES (100, 1, 9.5)",
    "INSERT INTO safe_users (id, email) VALUES (1, 'a@x.com'), (2, 'b@y.com')",
    "INSERT INTO safe_orders (id, user_id, total) VALUES (10, 1, 50), (11, 1, 150), (12, 2, 300)",
    "INSERT INTO safe_invoices (id, user_id, amount) VALUES (100, 1, 9.5)",
    "INSERT INTO safe_reviews (id, user_id, stars) VALUES (1, 1, 5), (2, 1, 4), (3, 2, 3)",
  ]) await engine.execute({ sql, params: [] });
}

/** The error `fn` throws; asserts no statement was sent while it ran. */
async function raised(engine: Engine, fn: () => unknown): Promise<Error> {
  const { result, statements } = await withStatements(engine, async () => {
    try {
      await fn();
    } catch (error) {
      return error as Error;
    }
    throw new Error("expected an error, none was thrown");
  });
  expect(statements.map((s) => s.sql)).toEqual([]);
  return result;
}

/** Captures library warnings for the duration of a test. */
function captureWarnings(): Array<{ message: string; code: string }> {
  const warnings: Array<{ message: string; code: string }> = [];
  const previous = setWarningSink((message, code) => warnings.push({ message, code }));
  restore.push(() => setWarningSink(previous));
  return warnings;
}
const restore: Array<() => void> = [];

const sorted = (ids: number[]): number[] => [...ids].sort((a, b) => a - b);

describe.each(backends)("the seed's error table ($name)", (backend) => {
  let engine: Engine;
  beforeAll(async () => {
    engine = createEngine(await backend.freshUrl());
    await seed(engine);
  });
  afterAll(() => engine.dispose());
  afterEach(() => {
    while (restore.length > 0) restore.pop()!();
  });

  describe("MissingGreenlet: implicit lazy load in async → NotLoadedError, no I/O", () => {
    it("names User.orders, says it would need a query, and gives selectinload(User.orders) / session.load()", async () => {
      await using session = new Session(engine);
      const users = (await session.scalars(select(User).orderBy(User.id))).all();
      const error = await raised(engine, () => users[0]!.orders);
      expect(error).toBeInstanceOf(NotLoadedError);
      expect(error).toBeInstanceOf(InvalidRequestError);
      expect(error.name).toBe("NotLoadedError");
      expect(error.message).toContain("'User.orders' is not loaded");
      expect(error.message).toContain("MissingGreenlet");
      expect(error.message).toContain("Add selectinload(User.orders) to the query's options()");
      expect(error.message).toContain('await session.load(user, "orders")');
    });

    it("the production fix (selectinload in .options()) reads the same attribute with no further I/O", async () => {
      await using session = new Session(engine);
      const users = await assertQueryCount(engine, 2, async () =>
        (await session.scalars(select(User).orderBy(User.id).options(selectinload(User.orders)))).all());
      const graph = await assertQueryCount(engine, 0, async () => users.map((u) => sorted(u.orders.map((o) => o.id))));
      expect(graph).toEqual([[10, 11], [12]]);
    });
  });

  describe("lazy='raise' → LazyLoadError", () => {
    it("model-level lazy='raise' on User.orders and User.invoice raises, naming the attribute and the loader to add", async () => {
      await using session = new Session(engine);
      const user = await assertQueryCount(engine, 1, async () => (await session.get(SafeUser, 1))!);
      const orders = await raised(engine, () => user.orders);
      expect(orders).toBeInstanceOf(LazyLoadError);
      expect(orders).toBeInstanceOf(InvalidRequestError);
      expect(orders.message).toMatch(/^'User\.orders' is not available due to lazy='raise'\. /);
      expect(orders.message).toContain("selectinload(User.orders)");
      const invoice = await raised(engine, () => user.invoice);
      expect(invoice).toBeInstanceOf(LazyLoadError);
      expect(invoice.message).toMatch(/^'User\.invoice' is not available due to lazy='raise'\. /);
      expect(invoice.message).toContain("joinedload(User.invoice)");
    });

    it("opting in at the query site loads them", async () => {
      await using session = new Session(engine);
      const { result: user, statements } = await withStatements(engine, async () =>
        (await session.scalars(select(SafeUser).where(SafeUser.id.eq(1)).options(selectinload(SafeUser.orders), joinedload(SafeUser.invoice)))).one());
      expect(statements).toHaveLength(2);
      expect(statements[0]!.sql).toMatch(/FROM safe_users LEFT OUTER JOIN safe_invoices AS safe_invoices_1 ON/);
      expect(statements[1]!.sql).toMatch(/FROM safe_orders WHERE safe_orders\.user_id = ANY\(\$1\)$/);
      expect(sorted(user.orders.map((o) => o.id))).toEqual([10, 11]);
      expect(user.invoice?.amount).toBe(9.5);
    });

    it('raiseload("*") with selectinload(User.orders): orders load, everything else raises', async () => {
      await using session = new Session(engine);
      const users = await assertQueryCount(engine, 2, async () =>
        (await session.scalars(select(User).orderBy(User.id).options(selectinload(User.orders), raiseload("*")))).all());
      expect(users.map((u) => sorted(u.orders.map((o) => o.id)))).toEqual([[10, 11], [12]]);
      const invoice = await raised(engine, () => users[0]!.invoice);
      expect(invoice).toBeInstanceOf(LazyLoadError);
      expect(invoice.message).toContain("'User.invoice' is not available due to lazy='raise'");
      expect(invoice.message).toContain("joinedload(User.invoice)");
      const products = await raised(engine, () => users[0]!.orders[0]!.products);
      expect(products).toBeInstanceOf(LazyLoadError);
      expect(products.message).toContain("'Order.products' is not available due to lazy='raise'");
    });
  });

  describe("DetachedInstanceError: object used after its session closed", () => {
    it("objects materialized inside the session block keep what was loaded; the rest raises naming the attribute", async () => {
      let users: Loaded<User, "orders">[];
      {
        await using session = new Session(engine);
        users = (await session.scalars(select(User).orderBy(User.id).options(selectinload(User.orders)))).all();
      }
      expect(await assertQueryCount(engine, 0, async () => users.map((u) => [u.email, u.orders.length]))).toEqual([["a@x.com", 2], ["b@y.com", 1]]);
      const error = await raised(engine, () => users[0]!.invoice);
      expect(error).toBeInstanceOf(DetachedInstanceError);
      expect(error.message).toMatch(/^Parent instance <User at 0x[0-9a-f]+> is not bound to a Session; lazy load operation of attribute 'invoice' cannot proceed/);
      expect(error.message).toContain("Load it while the session is open");
      expect(error.message).toContain("joinedload(User.invoice)");
      expect(error.message).toMatch(/\(Background on this error at: .*bhk3\)$/);
    });

    it("after commit (expireOnCommit) and close, even the primary key raises and the message gives expireOnCommit: false", async () => {
      const Session_ = sessionmaker(engine);
      const user = await Session_.begin(async (session) => (await session.get(User, 2))!);
      const error = await raised(engine, () => user.id);
      expect(error).toBeInstanceOf(DetachedInstanceError);
      expect(error.message).toMatch(/^Instance <User at 0x[0-9a-f]+> is not bound to a Session; attribute refresh operation cannot proceed/);
      expect(error.message).toContain("{ expireOnCommit: false }");
      expect(error.message).toMatch(/\(Background on this error at: .*bhk3\)$/);
    });

    it("sessionmaker(engine, { expireOnCommit: false }): objects survive commit() and close", async () => {
      const Session_ = sessionmaker(engine, { expireOnCommit: false });
      const user = await Session_.begin(async (session) =>
        (await session.scalars(select(User).where(User.id.eq(1)).options(selectinload(User.orders)))).one());
      expect(await assertQueryCount(engine, 0, async () => [user.id, user.email, sorted(user.orders.map((o) => o.id))])).toEqual([1, "a@x.com", [10, 11]]);
    });
  });

  describe("SAWarning: cartesian product", () => {
    it("select(User, Order) without a join condition warns, naming both FROM elements and the fix", async () => {
      const warnings = captureWarnings();
      await using session = new Session(engine);
      const rows = await assertQueryCount(engine, 1, async () => (await session.execute(select(User, Order))).all());
      expect(rows).toHaveLength(6);
      expect(warnings).toHaveLength(1);
      expect(warnings[0]!.code).toBe("cartesian-product");
      expect(warnings[0]!.message).toMatch(/^SELECT statement has a cartesian product between FROM element\(s\) "(orders|users)" and FROM element "(users|orders)"/);
      expect(warnings[0]!.message).toContain("join()");
    });

    it("with .where(Order.userId.eq(User.id)) it does not warn", async () => {
      const warnings = captureWarnings();
      await using session = new Session(engine);
      const rows = await assertQueryCount(engine, 1, async () =>
        (await session.execute(select(User, Order).where(Order.userId.eq(User.id)).orderBy(Order.id))).all());
      expect(rows.map(([u, o]) => [u.id, o.id])).toEqual([[1, 10], [1, 11], [2, 12]]);
      expect(warnings).toEqual([]);
    });

    it("the warning comes at compile time: a cached statement does not warn again", async () => {
      const warnings = captureWarnings();
      await using session = new Session(engine);
      const stmt = select(User, Order).where(User.id.eq(1));
      await session.execute(stmt);
      await session.execute(stmt);
      expect(warnings.map((w) => w.code)).toEqual(["cartesian-product"]);
    });

    it("a where() on another table with no join condition warns too", async () => {
      const warnings = captureWarnings();
      await using session = new Session(engine);
      const users = await assertQueryCount(engine, 1, async () => (await session.scalars(select(User).where(Order.total.gt(100)))).all());
      expect(users).toHaveLength(4); // 2 users x 2 orders over 100: the cartesian product
      expect(warnings.map((w) => w.code)).toEqual(["cartesian-product"]);
      expect(warnings[0]!.message).toContain('"orders"');
      expect(warnings[0]!.message).toContain('"users"');
    });

    it("joinedload alongside an explicit join(User.orders) does not warn: each join has its ON clause", async () => {
      const warnings = captureWarnings();
      await using session = new Session(engine);
      const { result, statements } = await withStatements(engine, async () =>
        (await session.scalars(select(User).join(User.orders).where(Order.total.gt(100)).options(joinedload(User.orders)))).unique().all());
      expect(statements).toHaveLength(1);
      expect(statements[0]!.sql).toMatch(/FROM users JOIN orders ON users\.id = orders\.user_id LEFT OUTER JOIN orders AS orders_1 ON users\.id = orders_1\.user_id WHERE orders\.total > \$1/);
      // joinedload loads the whole collection, unlike containsEager which takes the filtered rows.
      expect(result.map((u) => [u.id, sorted(u.orders.map((o) => o.id))]).sort()).toEqual([[1, [10, 11]], [2, [12]]]);
      expect(warnings).toEqual([]);
    });

    it("a join without an ON clause is refused, naming the relationship form of the fix", async () => {
      expect(() => select(User).join(Order)).toThrow(ArgumentError);
      expect(() => select(User).join(Order)).toThrow("pass a relationship (join(User.orders))");
    });

    it("an explicit join plus containsEager (you own the JOIN) does not warn and needs unique()", async () => {
      const warnings = captureWarnings();
      await using session = new Session(engine);
      const stmt = select(User).join(User.orders).where(Order.total.gt(100)).orderBy(User.id).options(containsEager(User.orders));
      const result = await assertQueryCount(engine, 1, () => session.scalars(stmt));
      expect(() => result.all()).toThrow(UniqueRequiredError);
      expect(result.unique().all().map((u) => [u.id, u.orders.map((o) => o.id)])).toEqual([[1, [11]], [2, [12]]]);
      expect(warnings).toEqual([]);
    });

    it("joinedload of two sibling collections warns, naming both and selectinload as the fix", async () => {
      const warnings = captureWarnings();
      await using session = new Session(engine);
      const { result, statements } = await withStatements(engine, async () =>
        (await session.scalars(select(SafeUser).where(SafeUser.id.eq(1)).options(joinedload(SafeUser.orders), joinedload(SafeUser.reviews)))).unique().all());
      expect(statements).toHaveLength(1);
      expect(statements[0]!.sql).toMatch(/LEFT OUTER JOIN safe_orders AS safe_orders_1 ON .* LEFT OUTER JOIN safe_reviews AS safe_reviews_1 ON/);
      expect(result[0]!.orders.map((o) => o.id).sort()).toEqual([10, 11]);
      expect(result[0]!.reviews.map((r) => r.id).sort()).toEqual([1, 2]);
      const sibling = warnings.filter((w) => w.code === "sibling-collections");
      expect(sibling).toHaveLength(1);
      expect(sibling[0]!.message).toContain("User.orders and User.reviews");
      expect(sibling[0]!.message).toContain("selectinload(User.reviews)");
      expect(warnings.filter((w) => w.code === "cartesian-product")).toEqual([]);
    });

    it("a joined collection plus a selectin sibling does not warn", async () => {
      const warnings = captureWarnings();
      await using session = new Session(engine);
      await assertQueryCount(engine, 2, async () =>
        (await session.scalars(select(SafeUser).options(joinedload(SafeUser.orders), selectinload(SafeUser.reviews)))).unique().all());
      expect(warnings).toEqual([]);
    });
  });

  describe("joinedload on a collection without unique() (the duplicate-rows row)", () => {
    it("all(), one() and iteration raise UniqueRequiredError naming unique() and selectinload(); first() is exempt", async () => {
      await using session = new Session(engine);
      const result = await assertQueryCount(engine, 1, () => session.scalars(select(User).where(User.id.eq(1)).options(joinedload(User.orders))));
      for (const read of [() => result.all(), () => result.one(), () => [...result]]) {
        const error = await raised(engine, read);
        expect(error).toBeInstanceOf(UniqueRequiredError);
        expect(error).toBeInstanceOf(InvalidRequestError);
        expect(error.message).toMatch(/^The unique\(\) method must be invoked on this Result, as it contains results that include joined eager loads against collections/);
        expect(error.message).toContain("result.scalars().unique()");
        expect(error.message).toContain("selectinload()");
      }
      expect(result.first()?.id).toBe(1);
      const [user] = result.unique().all();
      expect(sorted(user!.orders.map((o) => o.id))).toEqual([10, 11]);
    });

    it("session.execute() without scalars() raises too; a scalar joinedload (many-to-one) never needs unique()", async () => {
      await using session = new Session(engine);
      const rows = await session.execute(select(User).options(joinedload(User.orders)));
      expect(() => rows.all()).toThrow(UniqueRequiredError);
      expect(rows.unique().all()).toHaveLength(2);
      const orders = await assertQueryCount(engine, 1, async () =>
        (await session.scalars(select(Order).orderBy(Order.id).options(joinedload(Order.user)))).all());
      expect(orders.map((o) => o.user?.id)).toEqual([1, 1, 2]);
    });

    it("session.scalar() and session.get() are exempt, as in SQLAlchemy", async () => {
      {
        await using session = new Session(engine);
        const first = await assertQueryCount(engine, 1, () => session.scalar(select(User).where(User.id.eq(1)).options(joinedload(User.orders))));
        expect(sorted(first!.orders.map((o) => o.id))).toEqual([10, 11]);
      }
      // (A second session only after the first is closed: PGlite has one connection.)
      await using other = new Session(engine);
      const got = await assertQueryCount(engine, 1, () => other.get(User, 1, { options: [joinedload(User.orders)] }));
      expect(sorted(got!.orders.map((o) => o.id))).toEqual([10, 11]);
    });

    it("selectinload needs no unique(): one parent row per parent", async () => {
      await using session = new Session(engine);
      const users = await assertQueryCount(engine, 2, async () =>
        (await session.scalars(select(User).orderBy(User.id).options(selectinload(User.orders)))).all());
      expect(users.map((u) => u.id)).toEqual([1, 2]);
    });
  });
});
