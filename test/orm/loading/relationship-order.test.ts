/**
 * A relationship's `orderBy` orders its collection under every strategy and session.load (issue
 * 11, defect 3: joinedload and subqueryload ignored it). For a joined load the relationship's
 * order comes after the statement's own ORDER BY, as SQLAlchemy appends it. The schema also has a
 * `lazy: "joined"` many-to-one below the collection, which must join into each batch query
 * (issue 11, defect 1).
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { column, createEngine, declarativeBase, immediateload, joinedload, select, selectinload, subqueryload, type Engine } from "../../../src/index.js";
import { backends } from "../../support/backends.js";
import { inFreshSession } from "./support.js";

interface ShopModels {
  Warehouse: Warehouse;
  Stock: Stock;
  Item: Item;
}
const Shop = declarativeBase<ShopModels>();

class Warehouse extends Shop.entity("s_warehouses", {
  id: column.integer().primaryKey(),
  name: column.text(),
  stock: Shop.many("Stock", { backPopulates: "warehouse", orderBy: "qty desc" }),
}) {}

class Stock extends Shop.entity("s_stock", {
  id: column.integer().primaryKey(),
  warehouseId: column.integer().references("s_warehouses.id"),
  itemId: column.integer().references("s_items.id"),
  qty: column.integer(),
  warehouse: Shop.one("Warehouse", { backPopulates: "stock" }),
  item: Shop.one("Item", { lazy: "joined" }),
}) {}

class Item extends Shop.entity("s_items", {
  id: column.integer().primaryKey(),
  name: column.text(),
}) {}
Shop.register({ Warehouse, Stock, Item });

const SEED = [
  "INSERT INTO s_warehouses (id, name) VALUES (1, 'north'), (2, 'south'), (3, 'empty')",
  "INSERT INTO s_items (id, name) VALUES (1, 'bolt'), (2, 'nut')",
  // Inserted in id order, so an unordered scan tends to return ids ascending: the qty order differs.
  "INSERT INTO s_stock (id, warehouse_id, item_id, qty) VALUES (1, 1, 1, 5), (2, 1, 2, 9), (3, 1, 1, 1), (4, 1, 2, 7), (5, 2, 1, 3), (6, 2, 2, 8)",
];

/** Each warehouse's stock ids in collection order, and each stock's item (loaded by its lazy: "joined"). */
const EXPECTED = [[1, [2, 4, 1, 3]], [2, [6, 5]], [3, []]];
interface LoadedWarehouse { readonly id: number; readonly stock: readonly { readonly id: number; readonly item: { readonly name: string } | null }[] }
const shape = (warehouses: readonly LoadedWarehouse[]) => [...warehouses].sort((a, b) => a.id - b.id).map((w) => [w.id, w.stock.map((s) => s.id)]);
const items = (warehouses: readonly LoadedWarehouse[]) => warehouses.flatMap((w) => w.stock.map((s) => [s.id, s.item!.name])).sort((a, b) => (a[0] as number) - (b[0] as number));
const ITEMS = [[1, "bolt"], [2, "nut"], [3, "bolt"], [4, "nut"], [5, "bolt"], [6, "nut"]];

const STOCK = "s_stock.id, s_stock.warehouse_id, s_stock.item_id, s_stock.qty";
const ITEM_JOIN = "LEFT OUTER JOIN s_items AS s_items_1 ON s_stock.item_id = s_items_1.id";

describe.each(backends)("relationship orderBy under every strategy ($name)", (backend) => {
  let engine: Engine;
  beforeAll(async () => {
    engine = createEngine(await backend.freshUrl());
    await Shop.metadata.createAll(engine);
    for (const sql of SEED) await engine.execute({ sql, params: [] });
  });
  afterAll(() => engine?.dispose());

  it("selectinload orders the batch query; the lazy: \"joined\" item joins into it", async () => {
    const { result, sql } = await inFreshSession(engine, async (s) => {
      const ws = (await s.scalars(select(Warehouse).options(selectinload(Warehouse.stock)))).all();
      return { shape: shape(ws), items: items(ws) };
    });
    expect(sql).toEqual([
      "SELECT s_warehouses.id, s_warehouses.name FROM s_warehouses",
      `SELECT s_stock.warehouse_id, ${STOCK}, s_items_1.id, s_items_1.name FROM s_stock ${ITEM_JOIN} WHERE s_stock.warehouse_id = ANY($1) ORDER BY s_stock.qty DESC`,
    ]);
    expect(result).toEqual({ shape: EXPECTED, items: ITEMS });
  });

  it("joinedload appends the relationship's order after the statement's", async () => {
    const { result, sql } = await inFreshSession(engine, async (s) => {
      const ws = (await s.scalars(select(Warehouse).orderBy(Warehouse.id).options(joinedload(Warehouse.stock)))).unique().all();
      return { shape: shape(ws), items: items(ws) };
    });
    expect(sql).toEqual([
      "SELECT s_warehouses.id, s_warehouses.name, s_stock_1.id, s_stock_1.warehouse_id, s_stock_1.item_id, s_stock_1.qty, s_items_1.id, s_items_1.name " +
        "FROM s_warehouses LEFT OUTER JOIN s_stock AS s_stock_1 ON s_warehouses.id = s_stock_1.warehouse_id " +
        "LEFT OUTER JOIN s_items AS s_items_1 ON s_stock_1.item_id = s_items_1.id ORDER BY s_warehouses.id, s_stock_1.qty DESC",
    ]);
    expect(result).toEqual({ shape: EXPECTED, items: ITEMS });
  });

  it("joinedload without an order of its own orders by the relationship alone", async () => {
    const { result, sql } = await inFreshSession(engine, async (s) => shape((await s.scalars(select(Warehouse).options(joinedload(Warehouse.stock)))).unique().all()));
    expect(sql).toHaveLength(1);
    expect(sql[0]).toMatch(/ ORDER BY s_stock_1\.qty DESC$/);
    expect(result).toEqual(EXPECTED);
  });

  it("joinedload with LIMIT: the order follows the wrapped parent order", async () => {
    const { result, sql, params } = await inFreshSession(engine, async (s) =>
      shape((await s.scalars(select(Warehouse).orderBy(Warehouse.id).limit(2).options(joinedload(Warehouse.stock)))).unique().all()),
    );
    expect(sql).toHaveLength(1);
    expect(sql[0]).toMatch(/^SELECT anon_1\.id, anon_1\.name, s_stock_1\.id, .* FROM \(SELECT s_warehouses\.id, s_warehouses\.name FROM s_warehouses ORDER BY s_warehouses\.id LIMIT \$1\) AS anon_1 LEFT OUTER JOIN s_stock AS s_stock_1 ON anon_1\.id = s_stock_1\.warehouse_id .* ORDER BY anon_1\.id, s_stock_1\.qty DESC$/);
    expect(params[0]).toEqual([2]);
    expect(result).toEqual(EXPECTED.slice(0, 2));
  });

  it("subqueryload orders the children query", async () => {
    const { result, sql } = await inFreshSession(engine, async (s) => {
      const ws = (await s.scalars(select(Warehouse).options(subqueryload(Warehouse.stock)))).all();
      return { shape: shape(ws), items: items(ws) };
    });
    expect(sql).toEqual([
      "SELECT s_warehouses.id, s_warehouses.name FROM s_warehouses",
      `SELECT anon_1.key_0, ${STOCK}, s_items_1.id, s_items_1.name FROM (SELECT s_warehouses.id AS key_0 FROM s_warehouses) AS anon_1 ` +
        `JOIN s_stock ON anon_1.key_0 = s_stock.warehouse_id ${ITEM_JOIN} ORDER BY s_stock.qty DESC`,
    ]);
    expect(result).toEqual({ shape: EXPECTED, items: ITEMS });
  });

  it("immediateload orders each per-parent query", async () => {
    const { result, sql } = await inFreshSession(engine, async (s) => shape((await s.scalars(select(Warehouse).options(immediateload(Warehouse.stock)))).all()));
    expect(sql).toHaveLength(4);
    for (const q of sql.slice(1)) expect(q).toMatch(/ WHERE s_stock\.warehouse_id = ANY\(\$1\) ORDER BY s_stock\.qty DESC$/);
    expect(result).toEqual(EXPECTED);
  });

  it("session.load orders the collection, and joins the lazy: \"joined\" item into its batch", async () => {
    const { result, sql } = await inFreshSession(engine, async (s) => {
      const ws = await s.load((await s.scalars(select(Warehouse))).all(), "stock");
      return { shape: shape(ws), items: items(ws) };
    });
    expect(sql).toEqual([
      "SELECT s_warehouses.id, s_warehouses.name FROM s_warehouses",
      `SELECT s_stock.warehouse_id, ${STOCK}, s_items_1.id, s_items_1.name FROM s_stock ${ITEM_JOIN} WHERE s_stock.warehouse_id = ANY($1) ORDER BY s_stock.qty DESC`,
    ]);
    expect(result).toEqual({ shape: EXPECTED, items: ITEMS });
  });
});
