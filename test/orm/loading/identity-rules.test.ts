/**
 * Identity-map rules (ANCHORS 17-19): one object per (entity, primary key) per session; a later
 * row fills only unloaded or expired attributes unless populateExisting; session.get() is a map
 * lookup; single-entity rows are not de-duplicated unless unique() is called.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  ArgumentError, column, containsEager, createEngine, declarativeBase, joinedload, select, selectinload, Session, update,
  UniqueRequiredError, type Engine,
} from "../../../src/index.js";
import { assertQueryCount, withStatements } from "../../../src/testing/assert-sql.js";
import { Base, Order, User } from "../../fixtures/models.js";
import { backends } from "../../support/backends.js";

// A composite-key pair: warehouses keyed by (region, code), bins referencing both columns.
interface CompositeModels {
  Warehouse: Warehouse;
  Bin: Bin;
}
const Composite = declarativeBase<CompositeModels>();

class Warehouse extends Composite.entity("c_warehouses", {
  regionId: column.integer().primaryKey(),
  code: column.text().primaryKey(),
  name: column.text(),
  bins: Composite.many("Bin", { backPopulates: "warehouse" }),
}) {}

class Bin extends Composite.entity("c_bins", {
  id: column.integer().primaryKey(),
  regionId: column.integer().references("c_warehouses.region_id"),
  warehouseCode: column.text().references("c_warehouses.code"),
  label: column.text(),
  warehouse: Composite.one("Warehouse", { backPopulates: "bins" }),
}) {}

Composite.register({ Warehouse, Bin });

async function seed(engine: Engine): Promise<void> {
  await Base.metadata.createAll(engine);
  // Column-level references() cannot declare a two-column foreign key, so this pair's DDL is
  // written out (createAll would reference region_id and code separately, which are not unique).
  for (const sql of [
    "CREATE TABLE c_warehouses (region_id integer NOT NULL, code text NOT NULL, name text NOT NULL, PRIMARY KEY (region_id, code))",
    "CREATE TABLE c_bins (id integer PRIMARY KEY, region_id integer NOT NULL, warehouse_code text NOT NULL, label text NOT NULL, " +
      "FOREIGN KEY (region_id, warehouse_code) REFERENCES c_warehouses (region_id, code))",
    "INSERT INTO users (id, email) VALUES (1, 'a@x.com'), (2, 'b@y.com'), (3, 'c@z.com')",
    "INSERT INTO orders (id, user_id, total) VALUES (10, 1, 50), (11, 1, 150), (12, 2, 300)",
    "INSERT INTO c_warehouses (region_id, code, name) VALUES (1, 'A', 'north A'), (1, 'B', 'north B'), (2, 'A', 'south A')",
    "INSERT INTO c_bins (id, region_id, warehouse_code, label) VALUES (1, 1, 'A', 'a1'), (2, 1, 'A', 'a2'), (3, 1, 'B', 'b1'), (4, 2, 'A', 's1')",
  ]) await engine.execute({ sql, params: [] });
}

const ids = (objs: readonly { id: number }[]): number[] => objs.map((o) => o.id).sort((a, b) => a - b);
const usersTable = () => Base.metadata.table("users");

describe.each(backends)("identity map rules ($name)", (backend) => {
  let engine: Engine;
  beforeAll(async () => {
    engine = createEngine(await backend.freshUrl());
    await seed(engine);
  });
  afterAll(() => engine.dispose());

  describe("one object per row per session", () => {
    it("the same row gives the same object across queries; another session gives another object", async () => {
      await using session = new Session(engine);
      const a = (await session.scalars(select(User).orderBy(User.id))).all();
      const b = (await session.scalars(select(User).where(User.email.eq("b@y.com")))).one();
      expect(b).toBe(a[1]);
      const viaOrder = (await session.scalars(select(Order).where(Order.id.eq(12)).options(joinedload(Order.user)))).one();
      expect(viaOrder.user).toBe(a[1]);
      await session.close();
      await using other = new Session(engine);
      const c = (await other.get(User, 2))!;
      expect(c).not.toBe(a[1]);
      expect(c.email).toBe("b@y.com");
    });

    it("session.get() for an object in the map sends 0 statements; a miss sends one", async () => {
      await using session = new Session(engine);
      const { result: user, statements } = await withStatements(engine, () => session.get(User, 1));
      expect(statements).toHaveLength(1);
      expect(statements[0]!.sql).toMatch(/FROM users WHERE users\.id = \$1/);
      expect(statements[0]!.params).toEqual([1]);
      expect(await assertQueryCount(engine, 0, () => session.get(User, 1))).toBe(user);
      expect(await assertQueryCount(engine, 0, () => session.get(User, [1]))).toBe(user);
      expect(await assertQueryCount(engine, 1, () => session.get(User, 99))).toBeNull();
      // A key of another JS type misses the map, but the row it finds is the same object.
      expect(await assertQueryCount(engine, 1, () => session.get(User, "1"))).toBe(user);
    });

    it("session.get() with loader options for an object in the map loads what is missing and keeps its state", async () => {
      await using session = new Session(engine, { autoflush: false });
      const user = (await session.get(User, 2))!;
      user.email = "unsaved@y.com";
      const { result, statements } = await withStatements(engine, () => session.get(User, 2, { options: [selectinload(User.orders)] }));
      expect(result).toBe(user);
      expect(statements).toHaveLength(2);
      expect(statements[1]!.sql).toMatch(/FROM orders WHERE orders\.user_id = ANY\(\$1\)$/);
      expect(ids(result!.orders)).toEqual([12]);
      expect(user.email).toBe("unsaved@y.com"); // not overwritten: no populateExisting was asked for
      await session.get(User, 2, { options: [selectinload(User.orders)], populateExisting: true });
      expect(user.email).toBe("b@y.com");
      await session.rollback();
    });

    it("session.get() of an expired object refreshes it with one statement", async () => {
      await using session = new Session(engine);
      const user = (await session.get(User, 3))!;
      session.expire(user);
      expect(await assertQueryCount(engine, 1, () => session.get(User, 3))).toBe(user);
      expect(user.email).toBe("c@z.com");
    });

    it("select(User).join(User.orders) repeats the user per order (no dedup); .unique() dedups", async () => {
      await using session = new Session(engine);
      const stmt = select(User).join(User.orders).orderBy(User.id, Order.id);
      const { result, statements } = await withStatements(engine, async () => (await session.scalars(stmt)).all());
      expect(statements).toHaveLength(1);
      expect(statements[0]!.sql).toBe(
        "SELECT users.id, users.email, users.tenant_id FROM users JOIN orders ON users.id = orders.user_id ORDER BY users.id, orders.id",
      );
      expect(result.map((u) => u.id)).toEqual([1, 1, 2]);
      expect(result[0]).toBe(result[1]);
      const unique = await assertQueryCount(engine, 1, async () => (await session.scalars(stmt)).unique().all());
      expect(unique.map((u) => u.id)).toEqual([1, 2]);
      expect(unique[0]).toBe(result[0]);
    });
  });

  describe("a later row does not overwrite loaded state", () => {
    it("a filtered containsEager load keeps an already-loaded collection; populateExisting() replaces it", async () => {
      await using session = new Session(engine);
      const user = (await session.scalars(select(User).where(User.id.eq(1)).options(selectinload(User.orders)))).one();
      expect(ids(user.orders)).toEqual([10, 11]);
      const filtered = select(User).join(User.orders).where(Order.total.gt(100)).options(containsEager(User.orders));
      const again = await assertQueryCount(engine, 1, async () => (await session.scalars(filtered)).unique().all());
      expect(again).toEqual([user, (await session.get(User, 2))!]);
      expect(ids(user.orders)).toEqual([10, 11]);
      const replaced = await assertQueryCount(engine, 1, async () =>
        (await session.scalars(filtered.where(User.id.eq(1)).populateExisting())).unique().one());
      expect(replaced).toBe(user);
      expect(ids(user.orders)).toEqual([11]);
    });

    it("a filtered joinedload keeps an already-loaded collection; populateExisting() replaces it", async () => {
      await using session = new Session(engine);
      const user = (await session.scalars(select(User).where(User.id.eq(1)).options(selectinload(User.orders)))).one();
      const filtered = select(User).where(User.id.eq(1)).options(joinedload(User.orders.and(Order.total.lt(100))));
      const { statements } = await withStatements(engine, async () => (await session.scalars(filtered)).unique().one());
      expect(statements).toHaveLength(1);
      expect(statements[0]!.sql).toMatch(/FROM users LEFT OUTER JOIN orders AS orders_1 ON .*orders_1\.total < \$1/);
      expect(ids(user.orders)).toEqual([10, 11]);
      await assertQueryCount(engine, 1, async () => (await session.scalars(filtered.populateExisting())).unique().one());
      expect(ids(user.orders)).toEqual([10]);
    });

    it("a selectinload for parents whose collection is loaded keeps it; populateExisting() replaces it", async () => {
      await using session = new Session(engine);
      const user = (await session.scalars(select(User).where(User.id.eq(1)).options(selectinload(User.orders.and(Order.total.gt(100)))))).one();
      expect(ids(user.orders)).toEqual([11]);
      await session.scalars(select(User).where(User.id.eq(1)).options(selectinload(User.orders)));
      expect(ids(user.orders)).toEqual([11]);
      await session.scalars(select(User).where(User.id.eq(1)).options(selectinload(User.orders)).populateExisting());
      expect(ids(user.orders)).toEqual([10, 11]);
    });

    it("loaded columns are kept when the database changed; populateExisting() overwrites them", async () => {
      await using session = new Session(engine, { autoflush: false });
      const user = (await session.get(User, 3))!;
      await session.execute(update(usersTable()).set({ email: "changed@z.com" }).where(User.id.eq(3)));
      const again = (await session.scalars(select(User).where(User.id.eq(3)))).one();
      expect(again).toBe(user);
      expect(user.email).toBe("c@z.com");
      await session.scalars(select(User).where(User.id.eq(3)).populateExisting());
      expect(user.email).toBe("changed@z.com");
      await session.rollback();
    });

    it("a later row fills only expired attributes: expire(obj, ['email']) takes the new email, keeps the loaded tenantId", async () => {
      await using session = new Session(engine, { autoflush: false });
      const user = (await session.get(User, 3))!;
      expect([user.email, user.tenantId]).toEqual(["c@z.com", null]);
      await session.execute(update(usersTable()).set({ email: "new@z.com", tenant_id: 7 }).where(User.id.eq(3)));
      session.expire(user, ["email"]);
      expect(() => user.email).toThrow("'User.email' was expired");
      await assertQueryCount(engine, 1, () => session.scalars(select(User).where(User.id.eq(3))));
      expect([user.email, user.tenantId]).toEqual(["new@z.com", null]);
      await session.rollback();
    });

    it("tuple rows (select(User, Order)) share one object per user", async () => {
      await using session = new Session(engine);
      const rows = (await session.execute(select(User, Order).join(User.orders).orderBy(Order.id))).all();
      expect(rows.map(([u, o]) => [u.id, o.id])).toEqual([[1, 10], [1, 11], [2, 12]]);
      expect(rows[0]![0]).toBe(rows[1]![0]);
      expect(await assertQueryCount(engine, 0, () => session.get(Order, 11))).toBe(rows[1]![1]);
    });

    it("autoflush writes a pending change before the query, so populateExisting() keeps it", async () => {
      await using session = new Session(engine);
      const user = (await session.get(User, 2))!;
      user.email = "edited@y.com";
      const { statements } = await withStatements(engine, () => session.scalars(select(User).where(User.id.eq(2)).populateExisting()));
      expect(statements.map((s) => s.sql.split(" ")[0])).toEqual(["UPDATE", "SELECT"]);
      expect(user.email).toBe("edited@y.com");
      await session.rollback();
    });

    it("without autoflush, populateExisting() discards a pending change; a plain query keeps it", async () => {
      await using session = new Session(engine, { autoflush: false });
      const user = (await session.get(User, 2))!;
      user.email = "edited@y.com";
      await assertQueryCount(engine, 1, () => session.scalars(select(User).where(User.id.eq(2))));
      expect(user.email).toBe("edited@y.com");
      await assertQueryCount(engine, 1, () => session.scalars(select(User).where(User.id.eq(2)).populateExisting()));
      expect(user.email).toBe("b@y.com");
      await assertQueryCount(engine, 0, () => session.flush());
      await session.rollback();
    });

    it("expired objects are filled by a later row; a selectin many-to-one re-queries expired targets", async () => {
      await using session = new Session(engine);
      const users = (await session.scalars(select(User).orderBy(User.id))).all();
      await session.commit();
      const { result: orders, statements } = await withStatements(engine, async () =>
        (await session.scalars(select(Order).orderBy(Order.id).options(selectinload(Order.user)))).all());
      expect(statements).toHaveLength(2);
      expect(statements[1]!.sql).toMatch(/FROM users WHERE users\.id = ANY\(\$1\)$/);
      expect(orders.map((o) => o.user)).toEqual([users[0], users[0], users[1]]);
      expect(orders.map((o) => o.user?.email)).toEqual(["a@x.com", "a@x.com", "b@y.com"]);
      expect(() => users[2]!.email).toThrow("'User.email' was expired");
    });

    it("a joined collection without unique() raises UniqueRequiredError when rows are fetched", async () => {
      await using session = new Session(engine);
      const result = await assertQueryCount(engine, 1, () => session.scalars(select(User).options(joinedload(User.orders))));
      expect(() => result.all()).toThrow(UniqueRequiredError);
      expect(result.first()).not.toBeNull();
      expect(result.unique().all().map((u) => u.id).sort()).toEqual([1, 2, 3]);
    });
  });

  describe("composite primary keys", () => {
    it("get() by array or object returns the mapped object, with 0 statements once it is in the map", async () => {
      await using session = new Session(engine);
      const all = (await session.scalars(select(Warehouse).orderBy(Warehouse.regionId, Warehouse.code))).all();
      expect(all.map((w) => [w.regionId, w.code])).toEqual([[1, "A"], [1, "B"], [2, "A"]]);
      expect(new Set(all).size).toBe(3);
      expect(await assertQueryCount(engine, 0, () => session.get(Warehouse, [1, "B"]))).toBe(all[1]);
      expect(await assertQueryCount(engine, 0, () => session.get(Warehouse, { regionId: 2, code: "A" }))).toBe(all[2]);
      expect(await assertQueryCount(engine, 1, () => session.get(Warehouse, [2, "B"]))).toBeNull();
      await expect(session.get(Warehouse, 1)).rejects.toThrow(ArgumentError);
      await expect(session.get(Warehouse, [1])).rejects.toThrow("the primary key has 2 columns (regionId, code), got 1 values");
    });

    it("a fresh get() by composite key sends one statement keyed on both columns", async () => {
      await using session = new Session(engine);
      const { result, statements } = await withStatements(engine, () => session.get(Warehouse, [1, "A"]));
      expect(result?.name).toBe("north A");
      expect(statements).toHaveLength(1);
      expect(statements[0]!.sql).toMatch(/WHERE c_warehouses\.region_id = \$1 AND c_warehouses\.code = \$2/);
      expect(statements[0]!.params).toEqual([1, "A"]);
    });

    it("a composite many-to-one answers from the identity map with 0 statements", async () => {
      await using session = new Session(engine);
      const bins = (await session.scalars(select(Bin).orderBy(Bin.id))).all();
      const north = (await session.get(Warehouse, [1, "A"]))!;
      const owners = await assertQueryCount(engine, 0, async () => [bins[0]!.warehouse, bins[1]!.warehouse]);
      expect(owners).toEqual([north, north]);
      expect(() => bins[2]!.warehouse).toThrow("'Bin.warehouse' is not loaded");
    });

    it("selectinload of a composite-key collection groups rows by both columns in one statement", async () => {
      await using session = new Session(engine);
      const { result, statements } = await withStatements(engine, async () =>
        (await session.scalars(select(Warehouse).orderBy(Warehouse.regionId, Warehouse.code).options(selectinload(Warehouse.bins)))).all());
      expect(statements).toHaveLength(2);
      expect(statements[1]!.sql).toMatch(/FROM c_bins WHERE/);
      expect(result.map((w) => [w.regionId, w.code, ids(w.bins)])).toEqual([[1, "A", [1, 2]], [1, "B", [3]], [2, "A", [4]]]);
      const back = await assertQueryCount(engine, 0, async () => result[0]!.bins.map((b) => b.warehouse));
      expect(back).toEqual([result[0], result[0]]);
    });

    it("session.load() of a composite many-to-one sends only the distinct missing keys", async () => {
      await using session = new Session(engine);
      const bins = (await session.scalars(select(Bin).orderBy(Bin.id))).all();
      const northB = (await session.get(Warehouse, [1, "B"]))!;
      const { result: loaded, statements } = await withStatements(engine, () => session.load(bins, "warehouse"));
      expect(statements).toHaveLength(1);
      expect(statements[0]!.params).toEqual([[1, 2], ["A", "A"]]);
      expect(loaded).toBe(bins);
      expect(loaded[2]!.warehouse).toBe(northB);
      expect(loaded.map((b) => `${b.warehouse!.regionId}${b.warehouse!.code}`)).toEqual(["1A", "1A", "1B", "2A"]);
      expect(loaded[0]!.warehouse).toBe(loaded[1]!.warehouse);
    });
  });
});
