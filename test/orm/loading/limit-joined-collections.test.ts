/**
 * LIMIT/OFFSET with a joined collection anywhere in the statement's joins wraps the limited
 * statement in a subquery, so the limit counts the selected rows (issue 11, defect 2: a
 * collection below a joined many-to-one, and several selected entities, were not wrapped and came
 * back truncated). containsEager + limit is not wrapped (as in SQLAlchemy) but warns.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { containsEager, joinedload, select, setWarningSink, type Engine } from "../../../src/index.js";
import { Invoice, Order, User } from "../../fixtures/models.js";
import { backends } from "../../support/backends.js";
import { freshEngine, inFreshSession, sortedIds } from "./support.js";

const ORDER_COLUMNS = "orders.id, orders.user_id, orders.total, orders.created_at";

describe.each(backends)("LIMIT with joined collections anywhere ($name)", (backend) => {
  let engine: Engine;
  const warnings: { message: string; code: string }[] = [];
  let previous: ReturnType<typeof setWarningSink>;
  beforeAll(async () => {
    engine = await freshEngine(backend);
    previous = setWarningSink((message, code) => warnings.push({ message, code }));
  });
  afterEach(() => {
    warnings.length = 0;
  });
  afterAll(() => {
    setWarningSink(previous);
    return engine?.dispose();
  });

  it("joinedload(Order.user).joinedload(User.orders).limit(3): three orders, each user with all its orders", async () => {
    const { result, sql, params } = await inFreshSession(engine, async (s) =>
      (await s.scalars(select(Order).orderBy(Order.id).limit(3).options(joinedload(Order.user).joinedload(User.orders)))).unique().all()
        .map((o) => [o.id, o.user!.id, sortedIds(o.user!.orders)]),
    );
    expect(sql).toEqual([
      "SELECT anon_1.id, anon_1.user_id, anon_1.total, anon_1.created_at, users_1.id, users_1.email, users_1.tenant_id, " +
        "orders_1.id, orders_1.user_id, orders_1.total, orders_1.created_at " +
        `FROM (SELECT ${ORDER_COLUMNS} FROM orders ORDER BY orders.id LIMIT $1) AS anon_1 ` +
        "LEFT OUTER JOIN users AS users_1 ON anon_1.user_id = users_1.id LEFT OUTER JOIN orders AS orders_1 ON users_1.id = orders_1.user_id " +
        "ORDER BY anon_1.id",
    ]);
    expect(params[0]).toEqual([3]);
    expect(result).toEqual([[10, 1, [10, 11]], [11, 1, [10, 11]], [12, 2, [12]]]);
  });

  it("select(User, Invoice) with joinedload(User.orders).limit(2): two rows, whole collections, columns renamed apart", async () => {
    const { result, sql, params } = await inFreshSession(engine, async (s) =>
      (await s.execute(select(User, Invoice).join(User.invoice).orderBy(User.id).limit(2).options(joinedload(User.orders), joinedload(Invoice.user))))
        .unique().all().map(([u, i]) => [u.id, i.id, i.user!.id, sortedIds(u.orders)]),
    );
    expect(sql).toEqual([
      "SELECT anon_1.id, anon_1.email, anon_1.tenant_id, anon_1.id_1, anon_1.user_id, anon_1.amount, " +
        "orders_1.id, orders_1.user_id, orders_1.total, orders_1.created_at, users_1.id, users_1.email, users_1.tenant_id " +
        "FROM (SELECT users.id, users.email, users.tenant_id, invoices.id AS id_1, invoices.user_id, invoices.amount " +
        "FROM users JOIN invoices ON users.id = invoices.user_id ORDER BY users.id LIMIT $1) AS anon_1 " +
        "LEFT OUTER JOIN orders AS orders_1 ON anon_1.id = orders_1.user_id LEFT OUTER JOIN users AS users_1 ON anon_1.user_id = users_1.id " +
        "ORDER BY anon_1.id",
    ]);
    expect(params[0]).toEqual([2]);
    expect(result).toEqual([[1, 100, 1, [10, 11]], [4, 101, 4, [13, 14, 15]]]);
  });

  it("a joinedload from the second entity joins on its renamed columns", async () => {
    // Invoice.user's join must read anon_1.user_id (the invoice's), and a collection from the
    // second entity must read anon_1.id_1 (the invoice's id), not the user's id.
    const { result, sql } = await inFreshSession(engine, async (s) =>
      (await s.execute(select(Invoice, User).join(Invoice.user).orderBy(Invoice.id.desc()).limit(1).options(joinedload(Invoice.user).joinedload(User.orders))))
        .unique().all().map(([i, u]) => [i.id, u.id, sortedIds(i.user!.orders)]),
    );
    expect(sql).toHaveLength(1);
    expect(sql[0]).toMatch(/FROM \(SELECT invoices\.id, invoices\.user_id, invoices\.amount, users\.id AS id_1, .* LIMIT \$1\) AS anon_1 LEFT OUTER JOIN users AS users_1 ON anon_1\.user_id = users_1\.id /);
    expect(result).toEqual([[101, 4, [13, 14, 15]]]);
  });

  it("containsEager of a many-to-one with a joined collection and limit: the joined table's columns come out of the subquery", async () => {
    const { result, sql } = await inFreshSession(engine, async (s) =>
      (await s.scalars(select(Order).join(Order.user).where(User.id.eq(4)).orderBy(Order.id).limit(2).options(
        containsEager(Order.user).joinedload(User.orders),
      ))).unique().all().map((o) => [o.id, o.user!.id, sortedIds(o.user!.orders)]),
    );
    expect(sql).toEqual([
      "SELECT anon_1.id, anon_1.user_id, anon_1.total, anon_1.created_at, anon_1.id_1, anon_1.email, anon_1.tenant_id, " +
        "orders_1.id, orders_1.user_id, orders_1.total, orders_1.created_at " +
        `FROM (SELECT ${ORDER_COLUMNS}, users.id AS id_1, users.email, users.tenant_id FROM orders JOIN users ON orders.user_id = users.id ` +
        "WHERE users.id = $1 ORDER BY orders.id LIMIT $2) AS anon_1 LEFT OUTER JOIN orders AS orders_1 ON anon_1.id_1 = orders_1.user_id ORDER BY anon_1.id",
    ]);
    expect(result).toEqual([[13, 4, [13, 14, 15]], [14, 4, [13, 14, 15]]]);
  });

  it("containsEager of a collection with limit is not wrapped, and warns about the truncation", async () => {
    const { result, sql } = await inFreshSession(engine, async (s) =>
      (await s.scalars(select(User).join(User.orders).orderBy(User.id, Order.id).limit(2).options(containsEager(User.orders)))).unique().all()
        .map((u) => [u.id, sortedIds(u.orders)]),
    );
    expect(sql).toEqual([
      `SELECT users.id, users.email, users.tenant_id, ${ORDER_COLUMNS} FROM users JOIN orders ON users.id = orders.user_id ORDER BY users.id, orders.id LIMIT $1`,
    ]);
    // The statement's own rows, as asked: one user, both of its orders.
    expect(result).toEqual([[1, [10, 11]]]);
    expect(warnings.map((w) => w.code)).toEqual(["contains-eager-limit"]);
    expect(warnings[0]!.message).toContain("containsEager(User.orders) with limit()/offset()");
    expect(warnings[0]!.message).toContain("selectinload(User.orders)");
  });
});
