/** containsEager: the statement writes the join; the relationship is filled from exactly its rows. */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { aliased, ArgumentError, containsEager, select, UniqueRequiredError, type Engine } from "../../../src/index.js";
import { Order, User } from "../../fixtures/models.js";
import { backends } from "../../support/backends.js";
import { freshEngine, ids, inFreshSession, sortedIds } from "./support.js";

describe.each(backends)("containsEager ($name)", (backend) => {
  let engine: Engine;
  beforeAll(async () => {
    engine = await freshEngine(backend);
  });
  afterAll(() => engine?.dispose());

  it("fills User.orders with exactly the rows the filtered join returned", async () => {
    const { result, sql, params } = await inFreshSession(engine, async (s) =>
      (await s.scalars(
        select(User).join(User.orders).where(Order.total.gt(100)).orderBy(User.id).options(containsEager(User.orders)),
      )).unique().all(),
    );
    expect(sql).toEqual([
      "SELECT users.id, users.email, users.tenant_id, orders.id, orders.user_id, orders.total, orders.created_at " +
        "FROM users JOIN orders ON users.id = orders.user_id WHERE orders.total > $1 ORDER BY users.id",
    ]);
    expect(params[0]).toEqual([100]);
    // Users 1, 2 and 4 have orders over 100; user 1 has only order 11 of its two, user 4 has 14 and 15 of three.
    expect(ids(result)).toEqual([1, 2, 4]);
    expect(result.map((u) => sortedIds(u.orders))).toEqual([[11], [12], [14, 15]]);
    for (const u of result) for (const o of u.orders) expect(o.total).toBeGreaterThan(100);
  });

  it("keeps the statement's own order of the joined rows", async () => {
    const { result } = await inFreshSession(engine, async (s) =>
      (await s.scalars(
        select(User).join(User.orders).where(User.id.eq(4)).orderBy(User.id, Order.total.desc()).options(containsEager(User.orders)),
      )).unique().all(),
    );
    expect(ids(result[0]!.orders)).toEqual([15, 14, 13]);
  });

  it("requires unique() on a collection, as joinedload does", async () => {
    const { result, sql } = await inFreshSession(engine, async (s) => {
      const scalars = await s.scalars(select(User).join(User.orders).options(containsEager(User.orders)));
      return (() => {
        try {
          scalars.all();
          return undefined;
        } catch (error) {
          return error;
        }
      })();
    });
    expect(sql).toHaveLength(1);
    expect(result).toBeInstanceOf(UniqueRequiredError);
    expect((result as Error).message).toContain("The unique() method must be invoked on this Result");
  });

  it("fills a many-to-one from the join without another query", async () => {
    const { result, sql } = await inFreshSession(engine, async (s) =>
      (await s.scalars(select(Order).join(Order.user).where(User.email.like("d@%")).orderBy(Order.id).options(containsEager(Order.user)))).all(),
    );
    expect(sql).toHaveLength(1);
    expect(sql[0]).toMatch(/^SELECT orders\.id, .*, users\.id, users\.email, users\.tenant_id FROM orders JOIN users ON orders\.user_id = users\.id WHERE users\.email LIKE \$1 ORDER BY orders\.id$/);
    expect(result.map((o) => [o.id, o.user!.id])).toEqual([[13, 4], [14, 4], [15, 4]]);
  });

  it("works with an aliased join: containsEager(User.orders.of(alias))", async () => {
    const o = aliased(Order, "big");
    const { result, sql } = await inFreshSession(engine, async (s) =>
      (await s.scalars(select(User).join(User.orders.of(o)).where(o.total.ge(300)).orderBy(User.id).options(containsEager(User.orders.of(o))))).unique().all(),
    );
    expect(sql).toHaveLength(1);
    expect(sql[0]).toMatch(/FROM users JOIN orders AS big ON users\.id = big\.user_id WHERE big\.total >= \$1 ORDER BY users\.id$/);
    expect(result.map((u) => [u.id, sortedIds(u.orders)])).toEqual([[2, [12]], [4, [15]]]);
  });

  it("throws ArgumentError before any SQL when the statement has no join to the target", async () => {
    const { result, sql } = await inFreshSession(engine, async (s) => {
      try {
        await s.execute(select(User).options(containsEager(User.orders)));
      } catch (error) {
        return error;
      }
      return undefined;
    });
    expect(result).toBeInstanceOf(ArgumentError);
    expect((result as Error).message).toContain("containsEager(User.orders) needs the statement to join Order");
    expect((result as Error).message).toContain(".join(User.orders)");
    expect(sql).toEqual([]);
  });

  it("a second filtered load in the same session keeps the collection already loaded", async () => {
    // SQLAlchemy keeps loaded collections; this is why the tests above each use a fresh session.
    const { result } = await inFreshSession(engine, async (s) => {
      const [all] = (await s.scalars(select(User).join(User.orders).where(User.id.eq(1)).options(containsEager(User.orders)))).unique().all();
      const before = sortedIds(all!.orders);
      const [filtered] = (await s.scalars(select(User).join(User.orders).where(User.id.eq(1), Order.total.gt(100)).options(containsEager(User.orders)))).unique().all();
      return { before, same: filtered === all, after: sortedIds(filtered!.orders) };
    });
    expect(result).toEqual({ before: [10, 11], same: true, after: [10, 11] });
  });
});
