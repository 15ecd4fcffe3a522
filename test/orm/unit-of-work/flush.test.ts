/**
 * The unit of work: what a flush sends, in which order, and what it writes back onto the objects.
 * Every test asserts the statements (count and shape) the flush ran.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  ArgumentError, column, createEngine, declarativeBase, delete_, IntegrityError, PendingRollbackError, select, selectinload,
  Session, StaleDataError, type Engine,
} from "../../../src/index.js";
import { assertQueryCount, withStatements } from "../../../src/testing/assert-sql.js";
import { Base, Invoice, Order, orderProducts, Product, TreeNode, User } from "../../fixtures/models.js";
import { backends } from "../../support/backends.js";

// Models of this file only: a nullable foreign key (children survive their parent), a
// cascade: "all" collection, and client-side defaults.
interface LocalModels {
  Author: Author;
  Book: Book;
  Shelf: Shelf;
  Item: Item;
  Gadget: Gadget;
  Box: Box;
  Toy: Toy;
}
const Local = declarativeBase<LocalModels>();

class Author extends Local.entity("authors", {
  id: column.integer().primaryKey(),
  // Not "name": a class's own static `name` would hide the column attribute Author.name.
  penName: column.text(),
  books: Local.many("Book", { backPopulates: "author" }),
}) {}

class Book extends Local.entity("books", {
  id: column.integer().primaryKey(),
  title: column.text(),
  authorId: column.integer().references("authors.id").nullable(),
  author: Local.one("Author", { backPopulates: "books" }),
}) {}

class Shelf extends Local.entity("shelves", {
  id: column.integer().primaryKey(),
  label: column.text(),
  items: Local.many("Item", { backPopulates: "shelf", cascade: "all" }),
}) {}

class Item extends Local.entity("items", {
  id: column.integer().primaryKey(),
  shelfId: column.integer().references("shelves.id"),
  name: column.text(),
  shelf: Local.one("Shelf", { backPopulates: "items" }),
}) {}

let serial = 100;
class Gadget extends Local.entity("gadgets", {
  id: column.integer().primaryKey(),
  name: column.text(),
  code: column.text().default("G-STD"),
  serial: column.integer().default(() => ++serial),
}) {}

class Box extends Local.entity("boxes", {
  id: column.integer().primaryKey(),
  label: column.text(),
  toys: Local.many("Toy", { backPopulates: "box", cascade: "all, delete-orphan" }),
}) {}

class Toy extends Local.entity("toys", {
  id: column.integer().primaryKey(),
  boxId: column.integer().references("boxes.id"),
  label: column.text(),
  box: Local.one("Box", { backPopulates: "toys" }),
}) {}

Local.register({ Author, Book, Shelf, Item, Gadget, Box, Toy });

// The typing layer may type relationships as not-loaded; these tests build the graphs themselves.
const ordersOf = (u: User): Order[] => u.orders as Order[];
const booksOf = (a: Author): Book[] => a.books as Book[];
const itemsOf = (s: Shelf): Item[] => s.items as Item[];
const childrenOf = (n: TreeNode): TreeNode[] => n.children as TreeNode[];
const toysOf = (b: Box): Toy[] => b.toys as Toy[];

async function rows(engine: Engine, sql: string, params: unknown[] = []): Promise<unknown[][]> {
  return (await engine.execute({ sql, params })).rows as unknown[][];
}

describe.each(backends)("flush ($name)", (backend) => {
  let engine: Engine;
  beforeAll(async () => {
    engine = createEngine(await backend.freshUrl());
    await Base.metadata.createAll(engine);
    await Local.metadata.createAll(engine);
  });
  afterAll(() => engine.dispose());

  describe("inserts", () => {
    it("inserts a new user before its orders and invoice, filling their foreign keys from the relationships", async () => {
      await using session = new Session(engine);
      const user = new User({ email: "dep@x.com", orders: [new Order({ total: 10 }), new Order({ total: 20 })], invoice: new Invoice({ amount: 5 }) });
      session.add(user);
      const { statements } = await withStatements(engine, () => session.flush());

      expect(statements).toHaveLength(3);
      expect(statements[0]!.sql).toMatch(/^INSERT INTO users \(email\) VALUES \(\$1\) RETURNING users\.id\b/);
      expect(statements[0]!.params).toEqual(["dep@x.com"]);
      const orderSql = statements.find((s) => s.sql.startsWith("WITH inserted AS (INSERT INTO orders"))!;
      const invoiceSql = statements.find((s) => s.sql.startsWith("INSERT INTO invoices"))!;
      expect(statements.indexOf(orderSql)).toBeGreaterThan(0);
      expect(statements.indexOf(invoiceSql)).toBeGreaterThan(0);
      expect(orderSql.sql).toBe(
        "WITH inserted AS (INSERT INTO orders (user_id, total) SELECT * FROM unnest($1::integer[], $2::double precision[]) RETURNING orders.id AS r0, orders.created_at AS r1) SELECT array_agg(r0) AS id, array_agg(r1) AS created_at FROM inserted",
      );
      expect(orderSql.params).toEqual([[user.id, user.id], [10, 20]]);
      expect(invoiceSql.sql).toBe("INSERT INTO invoices (user_id, amount) VALUES ($1, $2) RETURNING invoices.id");
      expect(invoiceSql.params).toEqual([user.id, 5]);

      expect(typeof user.id).toBe("number");
      expect(ordersOf(user).map((o) => o.userId)).toEqual([user.id, user.id]);
      expect((user.invoice as Invoice).userId).toBe(user.id);
      const userId = user.id;
      await session.commit();
      expect(await rows(engine, "SELECT user_id, total FROM orders WHERE user_id = $1 ORDER BY total", [userId])).toEqual([[userId, 10], [userId, 20]]);
      expect(await rows(engine, "SELECT user_id, amount FROM invoices WHERE user_id = $1", [userId])).toEqual([[userId, 5]]);
    });

    it("inserts N new orders in ONE INSERT ... SELECT * FROM unnest(...) statement", async () => {
      await using session = new Session(engine);
      const user = new User({ email: "batch@x.com" });
      session.add(user);
      await session.flush();
      const orders = Array.from({ length: 25 }, (_, i) => new Order({ userId: user.id, total: i + 0.5 }));
      session.addAll(orders);
      const { statements } = await withStatements(engine, () => session.flush());
      expect(statements).toHaveLength(1);
      expect(statements[0]!.sql).toBe(
        "WITH inserted AS (INSERT INTO orders (user_id, total) SELECT * FROM unnest($1::integer[], $2::double precision[]) RETURNING orders.id AS r0, orders.created_at AS r1) SELECT array_agg(r0) AS id, array_agg(r1) AS created_at FROM inserted",
      );
      expect(statements[0]!.params).toEqual([orders.map(() => user.id), orders.map((_, i) => i + 0.5)]);
      // Keys come back in input order.
      const ids = orders.map((o) => o.id);
      expect(new Set(ids).size).toBe(25);
      expect([...ids].sort((a, b) => a - b)).toEqual(ids);
      const userId = user.id;
      await session.commit();
      expect(await rows(engine, "SELECT count(*)::int FROM orders WHERE user_id = $1", [userId])).toEqual([[25]]);
    });

    it("fetches server-generated keys and server defaults (createdAt DEFAULT now()) back onto the objects", async () => {
      await using session = new Session(engine);
      const user = new User({ email: "server@x.com" });
      const order = new Order({ total: 1, user });
      session.add(order);
      const before = Date.now();
      await assertQueryCount(engine, 2, () => session.flush());
      // No further SQL to read them: they came back with RETURNING.
      const [id, createdAt] = await assertQueryCount(engine, 0, async () => [order.id, order.createdAt] as const);
      expect(Number.isInteger(id)).toBe(true);
      expect(createdAt).toBeInstanceOf(Date);
      expect(Math.abs(createdAt.getTime() - before)).toBeLessThan(60_000);
      const [[dbCreated]] = (await session.execute(select(Order.createdAt).where(Order.id.eq(id)))).all() as [[Date]];
      expect(dbCreated.getTime()).toBe(createdAt.getTime());
    });

    it("writes many-to-many association rows in one INSERT after both sides", async () => {
      await using session = new Session(engine);
      const user = new User({ email: "m2m@x.com" });
      const p1 = new Product({ name: "bolt", price: "1.25" });
      const p2 = new Product({ name: "nut", price: "0.75" });
      const order = new Order({ total: 2, user, products: [p1, p2] });
      session.add(order);
      const { statements } = await withStatements(engine, () => session.flush());
      const sqls = statements.map((s) => s.sql);
      expect(sqls).toHaveLength(4);
      const assoc = statements.findIndex((s) => s.sql.startsWith("INSERT INTO order_products"));
      expect(assoc).toBe(3);
      expect(sqls[assoc]).toBe("INSERT INTO order_products (order_id, product_id) SELECT * FROM unnest($1::integer[], $2::integer[])");
      expect(statements[assoc]!.params).toEqual([[order.id, order.id], [p1.id, p2.id]]);
      expect(sqls.findIndex((s) => s.startsWith("INSERT INTO products"))).toBeLessThan(assoc);
      expect(sqls.findIndex((s) => s.startsWith("INSERT INTO orders"))).toBeLessThan(assoc);
      const [orderId, productIds] = [order.id, [p1.id, p2.id].sort((a, b) => a - b)];
      await session.commit();
      expect(await rows(engine, "SELECT product_id FROM order_products WHERE order_id = $1 ORDER BY product_id", [orderId]))
        .toEqual(productIds.map((id) => [id]));
    });

    it("inserts self-referential TreeNodes parent-first, one statement per level", async () => {
      await using session = new Session(engine);
      const root = new TreeNode({ name: "root" });
      const a = new TreeNode({ name: "a", parent: root });
      const b = new TreeNode({ name: "b" });
      childrenOf(root).push(b);
      const leaf = new TreeNode({ name: "leaf", parent: a });
      session.add(leaf); // the whole tree is reachable from the leaf
      const { statements } = await withStatements(engine, () => session.flush());
      expect(statements.map((s) => s.sql)).toEqual([
        "INSERT INTO nodes (name) VALUES ($1) RETURNING nodes.id, nodes.parent_id",
        "WITH inserted AS (INSERT INTO nodes (parent_id, name) SELECT * FROM unnest($1::integer[], $2::text[]) RETURNING nodes.id AS r0) SELECT array_agg(r0) AS id FROM inserted",
        "INSERT INTO nodes (parent_id, name) VALUES ($1, $2) RETURNING nodes.id",
      ]);
      expect(statements[0]!.params).toEqual(["root"]);
      expect(statements[1]!.params).toEqual([[root.id, root.id], ["a", "b"]]);
      expect(statements[2]!.params).toEqual([a.id, "leaf"]);
      expect(root.parentId).toBeNull();
      expect([a.parentId, b.parentId, leaf.parentId]).toEqual([root.id, root.id, a.id]);
      const [rootId, aId, bId, leafId] = [root.id, a.id, b.id, leaf.id];
      await session.commit();
      expect(await rows(engine, "SELECT name, parent_id FROM nodes WHERE id = ANY($1) ORDER BY id", [[rootId, aId, bId, leafId]]))
        .toEqual([["root", null], ["a", rootId], ["b", rootId], ["leaf", aId]]);
    });

    it("applies client-side .default(...) values and functions in the INSERT", async () => {
      await using session = new Session(engine);
      const g1 = new Gadget({ name: "one" });
      const g2 = new Gadget({ name: "two", code: "G-X" });
      session.addAll([g1, g2]);
      const { statements } = await withStatements(engine, () => session.flush());
      expect(statements).toHaveLength(1);
      expect(statements[0]!.sql).toBe(
        "WITH inserted AS (INSERT INTO gadgets (name, code, serial) SELECT * FROM unnest($1::text[], $2::text[], $3::integer[]) RETURNING gadgets.id AS r0) SELECT array_agg(r0) AS id FROM inserted",
      );
      expect(statements[0]!.params).toEqual([["one", "two"], ["G-STD", "G-X"], [g1.serial, g2.serial]]);
      expect(g1.code).toBe("G-STD");
      expect(g2.code).toBe("G-X");
      expect(g2.serial).toBe(g1.serial + 1);
      const serials = [g1.serial, g2.serial];
      await session.commit();
      expect(await rows(engine, "SELECT name, code, serial FROM gadgets ORDER BY id")).toEqual([["one", "G-STD", serials[0]], ["two", "G-X", serials[1]]]);
    });
  });

  describe("updates", () => {
    let orderId: number;
    beforeAll(async () => {
      await using session = new Session(engine);
      const order = new Order({ total: 40, user: new User({ email: "upd@x.com" }) });
      session.add(order);
      await session.commit();
      orderId = (await rows(engine, "SELECT id FROM orders WHERE total = 40"))[0]![0] as number;
    });

    it("sends only the changed column: UPDATE orders SET total=$1 WHERE orders.id = $2", async () => {
      await using session = new Session(engine);
      const order = (await session.get(Order, orderId))!;
      order.total = 41;
      const { statements } = await withStatements(engine, () => session.flush());
      expect(statements.map((s) => s.sql)).toEqual(["UPDATE orders SET total=$1 WHERE orders.id = $2"]);
      expect(statements[0]!.params).toEqual([41, orderId]);
      await session.commit();
      expect(await rows(engine, "SELECT total FROM orders WHERE id = $1", [orderId])).toEqual([[41]]);
    });

    it("sends nothing for loaded objects that did not change", async () => {
      await using session = new Session(engine);
      const order = (await session.get(Order, orderId))!;
      order.total = order.total; // same value: not a change
      await assertQueryCount(engine, 0, () => session.flush());
    });

    it("sends nothing when a column is set back to its loaded value", async () => {
      await using session = new Session(engine);
      const order = (await session.get(Order, orderId))!;
      const original = order.total;
      order.total = original + 100;
      order.total = original;
      await assertQueryCount(engine, 0, () => session.flush());
      expect(order.total).toBe(original);
    });

    it("a second flush sends nothing after the first wrote the change", async () => {
      await using session = new Session(engine);
      const order = (await session.get(Order, orderId))!;
      order.total = 77;
      await assertQueryCount(engine, 1, () => session.flush());
      await assertQueryCount(engine, 0, () => session.flush());
      await session.rollback();
    });
  });

  describe("updates through relationships and keys", () => {
    it("moving an order to another user updates only its foreign key", async () => {
      await using session = new Session(engine, { expireOnCommit: false });
      const [ann, bob] = [new User({ email: "move-a@x.com" }), new User({ email: "move-b@x.com" })];
      const order = new Order({ total: 8, user: ann });
      session.addAll([ann, bob, order]);
      await session.flush();
      expect(order.userId).toBe(ann.id);
      order.user = bob;
      const { statements } = await withStatements(engine, () => session.flush());
      expect(statements.map((s) => s.sql)).toEqual(["UPDATE orders SET user_id=$1 WHERE orders.id = $2"]);
      expect(statements[0]!.params).toEqual([bob.id, order.id]);
      expect(order.userId).toBe(bob.id);
      await session.rollback();
    });

    it("replacing a many-to-many collection deletes the removed pair and inserts the new one", async () => {
      await using session = new Session(engine);
      const keep = new Product({ name: "keep", price: "1.00" });
      const p2 = new Product({ name: "swap", price: "2.00" });
      const order = new Order({ total: 9, user: new User({ email: "m2m-swap@x.com" }), products: [keep] });
      session.add(order);
      await session.flush();
      order.products = [p2];
      const { statements } = await withStatements(engine, () => session.flush());
      expect(statements.map((s) => s.sql)).toEqual([
        "INSERT INTO products (name, price) VALUES ($1, $2) RETURNING products.id",
        "DELETE FROM order_products WHERE order_products.order_id = $1 AND order_products.product_id = $2",
        "INSERT INTO order_products (order_id, product_id) VALUES ($1, $2)",
      ]);
      expect(statements[1]!.params).toEqual([order.id, keep.id]);
      expect(statements[2]!.params).toEqual([order.id, p2.id]);
      const pairs = (await session.execute(
        select(orderProducts.column("product_id")).where(orderProducts.column("order_id").eq(order.id)),
      )).all();
      expect(pairs).toEqual([[p2.id]]);
      await session.rollback();
    });

    it("changing a primary key updates the row by its old key and re-keys the identity map", async () => {
      await using session = new Session(engine, { expireOnCommit: false });
      const gadget = new Gadget({ name: "rekey" });
      session.add(gadget);
      await session.flush();
      const oldId = gadget.id;
      gadget.id = 90_000;
      const { statements } = await withStatements(engine, () => session.flush());
      expect(statements.map((s) => s.sql)).toEqual(["UPDATE gadgets SET id=$1 WHERE gadgets.id = $2"]);
      expect(statements[0]!.params).toEqual([90_000, oldId]);
      // One object per row: found under the new key without SQL, and not under the old one.
      expect(await assertQueryCount(engine, 0, () => session.get(Gadget, 90_000))).toBe(gadget);
      expect(await assertQueryCount(engine, 1, () => session.get(Gadget, oldId))).toBeNull();
      await session.rollback();
    });

    it("an UPDATE that matches no row raises StaleDataError", async () => {
      await using session = new Session(engine);
      const gadget = new Gadget({ name: "stale" });
      session.add(gadget);
      await session.flush();
      const id = gadget.id;
      // Deleted behind the ORM's back (same transaction, Core statement).
      await session.execute(delete_(Local.metadata.table("gadgets")).where(Gadget.id.eq(id)));
      gadget.name = "renamed";
      const { statements } = await withStatements(engine, async () => {
        const error = await session.flush().catch((e: unknown) => e);
        expect(error).toBeInstanceOf(StaleDataError);
        expect((error as Error).message).toBe(`UPDATE of Gadget [${id}] matched 0 rows, expected 1: it was deleted or its key changed in another transaction.`);
      });
      expect(statements.map((s) => s.sql)).toEqual(["UPDATE gadgets SET name=$1 WHERE gadgets.id = $2"]);
      await expect(session.execute(select(Gadget))).rejects.toThrow(PendingRollbackError);
      await session.rollback();
    });
  });

  describe("deletes", () => {
    it("deletes a loaded object by primary key", async () => {
      await using session = new Session(engine);
      const user = new User({ email: "del@x.com", orders: [new Order({ total: 3 })] });
      session.add(user);
      await session.commit();
      const id = (await rows(engine, "SELECT id FROM orders WHERE total = 3"))[0]![0] as number;
      const order = (await session.get(Order, id))!;
      session.delete(order);
      const { statements } = await withStatements(engine, () => session.flush());
      // Its association rows go first (the products collection was never loaded), then the row.
      expect(statements.map((s) => s.sql)).toEqual([
        "DELETE FROM order_products WHERE order_products.order_id = $1",
        "DELETE FROM orders WHERE orders.id = $1",
      ]);
      expect(statements.map((s) => s.params)).toEqual([[id], [id]]);
      // Gone from the identity map: get() asks the database, which has no row.
      expect(await assertQueryCount(engine, 1, () => session.get(Order, id))).toBeNull();
      await session.commit();
      expect(await rows(engine, "SELECT count(*)::int FROM orders WHERE id = $1", [id])).toEqual([[0]]);
    });

    it("deleting a parent whose loaded children are not cascaded sets their foreign key to NULL", async () => {
      await using session = new Session(engine);
      const author = new Author({ penName: "Ann", books: [new Book({ title: "A" }), new Book({ title: "B" })] });
      session.add(author);
      await session.commit();
      const loaded = (await session.scalars(select(Author).where(Author.penName.eq("Ann")).options(selectinload(Author.books)))).one();
      const bookIds = booksOf(loaded).map((b) => b.id).sort((a, b) => a - b);
      expect(bookIds).toHaveLength(2);
      session.delete(loaded);
      const { statements } = await withStatements(engine, () => session.flush());
      expect(statements.map((s) => s.sql)).toEqual([
        "UPDATE books SET author_id=$1 WHERE books.id = $2",
        "UPDATE books SET author_id=$1 WHERE books.id = $2",
        "DELETE FROM authors WHERE authors.id = $1",
      ]);
      expect(statements.slice(0, 2).map((s) => s.params[0])).toEqual([null, null]);
      expect(statements.slice(0, 2).map((s) => s.params[1] as number).sort((a, b) => a - b)).toEqual(bookIds);
      await session.commit();
      expect(await rows(engine, "SELECT title, author_id FROM books WHERE id = ANY($1) ORDER BY title", [bookIds])).toEqual([["A", null], ["B", null]]);
    });

    it("deleting a parent whose children are not loaded de-associates them with one UPDATE", async () => {
      await using session = new Session(engine);
      const author = new Author({ penName: "Unloaded", books: [new Book({ title: "u1" }), new Book({ title: "u2" })] });
      session.add(author);
      await session.commit();
      const parent = (await session.scalars(select(Author).where(Author.penName.eq("Unloaded")))).one();
      // One child is in the session (loaded on its own), the collection itself is not loaded.
      const u1 = (await session.scalars(select(Book).where(Book.title.eq("u1")))).one();
      const parentId = parent.id;
      expect(u1.authorId).toBe(parentId);
      session.delete(parent);
      const { statements } = await withStatements(engine, () => session.flush());
      expect(statements.map((s) => s.sql)).toEqual([
        "UPDATE books SET author_id=$1 WHERE books.author_id = $2",
        "DELETE FROM authors WHERE authors.id = $1",
      ]);
      expect(statements.map((s) => s.params)).toEqual([[null, parentId], [parentId]]);
      expect(u1.authorId).toBeNull();
      await session.commit();
      expect(await rows(engine, "SELECT title, author_id FROM books WHERE title IN ('u1', 'u2') ORDER BY title")).toEqual([["u1", null], ["u2", null]]);
    });

    it("deleting a parent with unloaded NOT NULL children fails in the database, as SQLAlchemy's de-association does", async () => {
      await using session = new Session(engine);
      const user = new User({ email: "has-orders@x.com", orders: [new Order({ total: 1 })] });
      session.add(user);
      await session.commit();
      const loaded = (await session.scalars(select(User).where(User.email.eq("has-orders@x.com")))).one();
      session.delete(loaded);
      const error = await session.flush().catch((e: unknown) => e);
      expect(error).toBeInstanceOf(IntegrityError);
      expect((error as IntegrityError).sqlstate).toBe("23502");
      expect((error as IntegrityError).sql).toBe("UPDATE orders SET user_id=$1 WHERE orders.user_id = $2");
      await session.rollback();
    });

    it('deleting a parent with cascade: "all" deletes its loaded children first', async () => {
      await using session = new Session(engine);
      const shelf = new Shelf({ label: "top", items: [new Item({ name: "x" }), new Item({ name: "y" })] });
      session.add(shelf);
      await session.commit();
      const loaded = (await session.scalars(select(Shelf).where(Shelf.label.eq("top")).options(selectinload(Shelf.items)))).one();
      const itemIds = itemsOf(loaded).map((i) => i.id).sort((a, b) => a - b);
      session.delete(loaded);
      const { statements } = await withStatements(engine, () => session.flush());
      expect(statements.map((s) => s.sql)).toEqual([
        "DELETE FROM items WHERE items.id = $1",
        "DELETE FROM items WHERE items.id = $1",
        "DELETE FROM shelves WHERE shelves.id = $1",
      ]);
      expect(statements.slice(0, 2).map((s) => s.params[0] as number).sort((a, b) => a - b)).toEqual(itemIds);
      await session.commit();
      expect(await rows(engine, "SELECT count(*)::int FROM items WHERE id = ANY($1)", [itemIds])).toEqual([[0]]);
      expect(await rows(engine, "SELECT count(*)::int FROM shelves WHERE label = 'top'")).toEqual([[0]]);
    });
  });

  it('deleting a parent with cascade: "all" loads and deletes children it has not loaded', async () => {
    await using session = new Session(engine);
    session.add(new Shelf({ label: "unloaded", items: [new Item({ name: "u1" }), new Item({ name: "u2" })] }));
    await session.commit();
    const loaded = (await session.scalars(select(Shelf).where(Shelf.label.eq("unloaded")))).one();
    const shelfId = loaded.id;
    session.delete(loaded);
    const { statements } = await withStatements(engine, () => session.flush());
    expect(statements.map((s) => s.sql)).toEqual([
      "SELECT items.shelf_id, items.id, items.shelf_id, items.name FROM items WHERE items.shelf_id = ANY($1)",
      "DELETE FROM items WHERE items.id = $1",
      "DELETE FROM items WHERE items.id = $1",
      "DELETE FROM shelves WHERE shelves.id = $1",
    ]);
    await session.commit();
    expect(await rows(engine, "SELECT count(*)::int FROM items WHERE shelf_id = $1", [shelfId])).toEqual([[0]]);
    expect(await rows(engine, "SELECT count(*)::int FROM shelves WHERE id = $1", [shelfId])).toEqual([[0]]);
  });

  describe("collections changed in place", () => {
    it("an object pushed onto a loaded collection is inserted with the parent's key", async () => {
      await using session = new Session(engine);
      const author = new Author({ penName: "Pushy", books: [] });
      session.add(author);
      await session.flush();
      const book = new Book({ title: "pushed" });
      booksOf(author).push(book);
      const { statements } = await withStatements(engine, () => session.flush());
      expect(statements.map((s) => s.sql)).toEqual(["INSERT INTO books (title, author_id) VALUES ($1, $2) RETURNING books.id"]);
      expect(statements[0]!.params).toEqual(["pushed", author.id]);
      expect(book.authorId).toBe(author.id);
      expect(book.author).toBe(author);
      await session.rollback();
    });

    it("a child removed from a collection without delete-orphan gets a NULL foreign key", async () => {
      await using session = new Session(engine);
      const author = new Author({ penName: "Splicer", books: [new Book({ title: "s1" }), new Book({ title: "s2" })] });
      session.add(author);
      await session.flush();
      const [first, second] = booksOf(author) as [Book, Book];
      booksOf(author).splice(0, 1);
      const { statements } = await withStatements(engine, () => session.flush());
      expect(statements.map((s) => s.sql)).toEqual(["UPDATE books SET author_id=$1 WHERE books.id = $2"]);
      expect(statements[0]!.params).toEqual([null, first.id]);
      expect(first.authorId).toBeNull();
      expect(second.authorId).toBe(author.id);
      await session.rollback();
    });

    it('a child removed from an "all, delete-orphan" collection is deleted', async () => {
      await using session = new Session(engine);
      const box = new Box({ label: "orphans", toys: [new Toy({ label: "t1" }), new Toy({ label: "t2" })] });
      session.add(box);
      await session.flush();
      const [orphan, kept] = toysOf(box) as [Toy, Toy];
      box.toys = [kept];
      const { statements } = await withStatements(engine, () => session.flush());
      expect(statements.map((s) => s.sql)).toEqual(["DELETE FROM toys WHERE toys.id = $1"]);
      expect(statements[0]!.params).toEqual([orphan.id]);
      const left = (await session.execute(select(Toy.label).where(Toy.boxId.eq(box.id)))).all();
      expect(left).toEqual([["t2"]]);
      await session.rollback();
    });
  });

  describe("bad input is rejected before any SQL", () => {
    it("a new Order without its required total: ArgumentError naming Order.total, 0 statements", async () => {
      await using session = new Session(engine);
      // @ts-expect-error total is required
      const order = new Order({ userId: 1 });
      session.add(order);
      const { statements } = await withStatements(engine, async () => {
        const error = await session.flush().catch((e: unknown) => e);
        expect(error).toBeInstanceOf(ArgumentError);
        expect((error as Error).message).toContain("Order.total is required");
        expect((error as Error).message).toContain("Nothing was sent to the database");
      });
      expect(statements).toHaveLength(0);
    });

    it("assigning undefined to a column attribute throws ArgumentError", () => {
      const order = new Order({ total: 1, userId: 1 });
      expect(() => { order.total = undefined as never; }).toThrow(ArgumentError);
      expect(() => { order.total = undefined as never; }).toThrow("Order.total cannot be set to undefined; use null for NULL");
      expect(order.total).toBe(1);
      expect(() => new User({ email: "x@y.z", orders: undefined as never })).not.toThrow();
    });

    it("comparing with undefined throws ArgumentError when the expression is built", async () => {
      expect(() => User.email.eq(undefined as never)).toThrow(ArgumentError);
      expect(() => User.email.eq(undefined as never)).toThrow(/undefined/);
      await assertQueryCount(engine, 0, async () => {
        await using session = new Session(engine);
        await expect(async () => session.execute(select(User).where(User.email.eq(undefined as never)))).rejects.toThrow(ArgumentError);
      });
    });
  });

  describe("a failed flush", () => {
    it("raises IntegrityError, persists nothing of that flush, then PendingRollbackError until rollback()", async () => {
      const owner = await (async () => {
        await using session = new Session(engine);
        const user = new User({ email: "owner@x.com", invoice: new Invoice({ amount: 1 }) });
        session.add(user);
        await session.commit();
        return (await rows(engine, "SELECT id FROM users WHERE email = 'owner@x.com'"))[0]![0] as number;
      })();

      await using session = new Session(engine);
      const newcomer = new User({ email: "newcomer@x.com" });
      const duplicate = new Invoice({ amount: 2, userId: owner });
      session.addAll([newcomer, duplicate]);
      const { statements } = await withStatements(engine, async () => {
        const error = await session.flush().catch((e: unknown) => e);
        expect(error).toBeInstanceOf(IntegrityError);
        expect((error as IntegrityError).sqlstate).toBe("23505");
        expect((error as Error).message).toMatch(/unique|duplicate/i);
      });
      expect(statements.map((s) => s.sql)).toEqual([
        "INSERT INTO users (email) VALUES ($1) RETURNING users.id, users.tenant_id",
        "INSERT INTO invoices (user_id, amount) VALUES ($1, $2) RETURNING invoices.id",
      ]);
      await assertQueryCount(engine, 0, async () => {
        await expect(session.execute(select(User))).rejects.toThrow(PendingRollbackError);
        await expect(session.execute(select(User))).rejects.toThrow("Call await session.rollback()");
        await expect(session.flush()).rejects.toThrow(PendingRollbackError);
        await expect(session.commit()).rejects.toThrow(PendingRollbackError);
      });

      await session.rollback();
      // The failed flush's new objects are transient again, without the key the rolled-back INSERT gave.
      expect(session.contains(newcomer)).toBe(false);
      expect(session.contains(duplicate)).toBe(false);
      expect(newcomer.id).toBeUndefined();
      expect(newcomer.email).toBe("newcomer@x.com");
      // Each object gets its own values back (they are saved end to end, objects of both entities).
      expect([duplicate.id, duplicate.userId, duplicate.amount]).toEqual([undefined, owner, 2]);
      // The user inserted before the failure was rolled back with it.
      expect(await rows(engine, "SELECT count(*)::int FROM users WHERE email = 'newcomer@x.com'")).toEqual([[0]]);
      const users = await assertQueryCount(engine, 1, async () => (await session.scalars(select(User).where(User.email.eq("owner@x.com")))).all());
      expect(users.map((u) => u.id)).toEqual([owner]);
      await session.close(); // PGlite has one connection: give it back before querying the engine
      expect(await rows(engine, "SELECT count(*)::int FROM invoices WHERE user_id = $1", [owner])).toEqual([[1]]);
    });
  });
});
