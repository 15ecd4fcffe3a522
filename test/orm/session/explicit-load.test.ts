/**
 * `await session.load(objects, ...paths)`: the explicit, batched replacement for lazy loading.
 * One statement per relationship level for all the given objects, none for what is loaded.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  ArgumentError, column, createEngine, declarativeBase, deleteFrom, InvalidRequestError, DetachedInstanceError, select, selectinload, Session, type Engine, type Loaded,
} from "../../../src/index.js";
import { assertQueryCount, withStatements } from "../../../src/testing/assert-sql.js";
import { Base, Order, TreeNode, User } from "../../fixtures/models.js";
import { backends } from "../../support/backends.js";
import { PRODUCTS_BY_ORDERS } from "../loading/support.js";

// Model-level lazy modes: what session.load() does with them.
interface LibraryModels {
  Shelf: Shelf;
  Book: Book;
  Page: Page;
  Author: Author;
}
const Library = declarativeBase<LibraryModels>();

class Shelf extends Library.entity("l_shelves", {
  id: column.integer().primaryKey(),
  books: Library.many("Book", { backPopulates: "shelf", lazy: "raise" }),
}) {}

class Author extends Library.entity("l_authors", {
  id: column.integer().primaryKey(),
  name: column.text(),
}) {}

class Book extends Library.entity("l_books", {
  id: column.integer().primaryKey(),
  shelfId: column.integer().references("l_shelves.id"),
  authorId: column.integer().references("l_authors.id"),
  shelf: Library.one("Shelf", { backPopulates: "books", lazy: "selectin" }),
  pages: Library.many("Page", { lazy: "selectin" }),
  author: Library.one("Author", { lazy: "joined" }),
}) {}

class Page extends Library.entity("l_pages", {
  id: column.integer().primaryKey(),
  bookId: column.integer().references("l_books.id"),
}) {}

Library.register({ Shelf, Book, Page, Author });

async function seed(engine: Engine): Promise<void> {
  await Base.metadata.createAll(engine);
  await Library.metadata.createAll(engine);
  for (const sql of [
    "INSERT INTO l_shelves (id) VALUES (1), (2)",
    "INSERT INTO l_authors (id, name) VALUES (1, 'ann'), (2, 'bob')",
    "INSERT INTO l_books (id, shelf_id, author_id) VALUES (1, 1, 1), (2, 1, 2), (3, 2, 2)",
    "INSERT INTO l_pages (id, book_id) VALUES (1, 1), (2, 1), (3, 3)",
    "INSERT INTO users (id, email) VALUES (1, 'a@x.com'), (2, 'b@y.com'), (3, 'c@z.com')",
    "INSERT INTO orders (id, user_id, total) VALUES (10, 1, 50), (11, 1, 150), (12, 2, 300)",
    "INSERT INTO invoices (id, user_id, amount) VALUES (100, 1, 9.5)",
    "INSERT INTO products (id, name, price) VALUES (1, 'p1', 1.50), (2, 'p2', 2.00)",
    "INSERT INTO order_products (order_id, product_id) VALUES (10, 1), (10, 2), (12, 2)",
    "INSERT INTO nodes (id, parent_id, name) VALUES (1, NULL, 'root'), (2, 1, 'a'), (3, 1, 'b'), (4, 2, 'c')",
  ]) await engine.execute({ sql, params: [] });
}

const ORDERS_BY_USER = /^SELECT orders\.user_id, orders\.id, orders\.user_id, orders\.total, orders\.created_at FROM orders WHERE orders\.user_id = ANY\(\$1\)$/;

const ids = (objs: readonly { id: number }[]): number[] => objs.map((o) => o.id).sort((a, b) => a - b);
const keysOf = (params: readonly unknown[]): number[] => [...(params[0] as number[])].sort((a, b) => a - b);

async function allUsers(session: Session): Promise<User[]> {
  return (await session.scalars(select(User).orderBy(User.id))).all();
}

describe.each(backends)("session.load() ($name)", (backend) => {
  let engine: Engine;
  beforeAll(async () => {
    engine = createEngine(await backend.freshUrl());
    await seed(engine);
  });
  afterAll(() => engine.dispose());

  it('load(users, "orders") loads every user\'s orders in ONE statement', async () => {
    await using session = new Session(engine);
    const users = await allUsers(session);
    const { result, statements } = await withStatements(engine, () => session.load(users, "orders"));
    expect(result).toBe(users);
    expect(statements).toHaveLength(1);
    expect(statements[0]!.sql).toMatch(ORDERS_BY_USER);
    expect(keysOf(statements[0]!.params)).toEqual([1, 2, 3]);
    const graph = await assertQueryCount(engine, 0, async () => result.map((u) => [u.id, ids(u.orders)]));
    expect(graph).toEqual([[1, [10, 11]], [2, [12]], [3, []]]);
  });

  it('load(users, "orders.products") loads two levels in two statements', async () => {
    await using session = new Session(engine);
    const users = await allUsers(session);
    const { result: loaded, statements } = await withStatements(engine, () => session.load(users, "orders.products"));
    expect(statements).toHaveLength(2);
    expect(statements[0]!.sql).toMatch(ORDERS_BY_USER);
    expect(statements[1]!.sql).toBe(PRODUCTS_BY_ORDERS);
    expect(keysOf(statements[1]!.params)).toEqual([10, 11, 12]);
    const graph = await assertQueryCount(engine, 0, async () =>
      loaded.map((u) => [u.id, [...u.orders].sort((a, b) => a.id - b.id).map((o) => [o.id, ids(o.products)])]));
    expect(graph).toEqual([
      [1, [[10, [1, 2]], [11, []]]],
      [2, [[12, [2]]]],
      [3, []],
    ]);
  });

  it("already-loaded relationships send no statement", async () => {
    await using session = new Session(engine);
    const users = (await session.scalars(select(User).orderBy(User.id).options(selectinload(User.orders)))).all();
    const before = users[0]!.orders;
    await assertQueryCount(engine, 0, () => session.load(users, "orders"));
    expect(users[0]!.orders).toBe(before);
    // Only the missing level is loaded.
    const { statements } = await withStatements(engine, () => session.load(users, "orders.products"));
    expect(statements).toHaveLength(1);
    expect(statements[0]!.sql).toBe(PRODUCTS_BY_ORDERS);
    await assertQueryCount(engine, 0, () => session.load(users, "orders.products"));
  });

  it("only the objects whose relationship is not loaded are sent", async () => {
    await using session = new Session(engine);
    const users = await allUsers(session);
    await session.load(users[0]!, "orders");
    const { result: loaded, statements } = await withStatements(engine, () => session.load(users, "orders"));
    expect(statements).toHaveLength(1);
    expect(keysOf(statements[0]!.params)).toEqual([2, 3]);
    expect(loaded.map((u) => ids(u.orders))).toEqual([[10, 11], [12], []]);
  });

  it("load(user, User.orders) takes one object and a relationship attribute", async () => {
    await using session = new Session(engine);
    const user = (await session.get(User, 1))!;
    const { result, statements } = await withStatements(engine, () => session.load(user, User.orders));
    expect(result).toBe(user);
    expect(statements).toHaveLength(1);
    expect(statements[0]!.sql).toMatch(ORDERS_BY_USER);
    expect(statements[0]!.params).toEqual([[1]]);
    expect(ids(result.orders)).toEqual([10, 11]);
  });

  it("a chain of attributes [User.orders, Order.products] loads like a dotted path", async () => {
    await using session = new Session(engine);
    const user = (await session.get(User, 2))!;
    // (The attribute-chain form is not reflected in the result type yet; the dotted form is.)
    const loaded = await assertQueryCount(engine, 2, () => session.load(user, [User.orders, Order.products])) as Loaded<User, "orders.products">;
    expect(loaded.orders.map((o) => [o.id, ids(o.products)])).toEqual([[12, [2]]]);
  });

  it("several paths at once: one statement per relationship", async () => {
    await using session = new Session(engine);
    const users = await allUsers(session);
    const { result: loaded, statements } = await withStatements(engine, () => session.load(users, "orders", "invoice"));
    expect(statements).toHaveLength(2);
    expect(statements.some((s) => ORDERS_BY_USER.test(s.sql))).toBe(true);
    expect(statements.some((s) => /FROM invoices WHERE invoices\.user_id = ANY\(\$1\)$/.test(s.sql))).toBe(true);
    expect(loaded.map((u) => u.invoice?.id ?? null)).toEqual([100, null, null]);
  });

  it("a many-to-one loads the distinct foreign keys once, and nothing when the targets are in the identity map", async () => {
    // (One session at a time: PGlite has a single connection.)
    const session = new Session(engine);
    const orders = (await session.scalars(select(Order).orderBy(Order.id))).all();
    const { result: loaded, statements } = await withStatements(engine, () => session.load(orders, "user"));
    expect(statements).toHaveLength(1);
    expect(statements[0]!.sql).toMatch(/^SELECT users\.id, users\.email, users\.tenant_id FROM users WHERE users\.id = ANY\(\$1\)$/);
    expect(keysOf(statements[0]!.params)).toEqual([1, 2]);
    expect(loaded.map((o) => o.user?.id)).toEqual([1, 1, 2]);
    expect(loaded[0]!.user).toBe(loaded[1]!.user);
    await session.close();

    await using other = new Session(engine);
    await allUsers(other);
    const again = (await other.scalars(select(Order).orderBy(Order.id))).all();
    const resolved = await assertQueryCount(engine, 0, () => other.load(again, "user"));
    expect(resolved.map((o) => o.user?.email)).toEqual(["a@x.com", "a@x.com", "b@y.com"]);
  });

  it("a self-referential collection loads one level per path step", async () => {
    await using session = new Session(engine);
    const root = (await session.get(TreeNode, 1))!;
    const tree = await assertQueryCount(engine, 2, () => session.load(root, "children.children"));
    expect(tree.children.map((c) => [c.id, ids(c.children)]).sort()).toEqual([[2, [4]], [3, []]]);
  });

  it("loads a lazy='raise' relationship, and the loaded objects' model-level eager defaults, one batch each", async () => {
    await using session = new Session(engine);
    const shelf = (await session.scalars(select(Shelf).where(Shelf.id.eq(1)))).one();
    expect(() => shelf.books).toThrow("'Shelf.books' is not available due to lazy='raise'");
    const { result: loaded, statements } = await withStatements(engine, () => session.load(shelf, "books"));
    // books with Book.author (joined) joined into that batch, as into SQLAlchemy's lazy-load
    // query; then Book.pages (selectin); not Book.shelf back.
    expect(statements).toHaveLength(2);
    expect(statements[0]!.sql).toMatch(/FROM l_books LEFT OUTER JOIN l_authors AS l_authors_1 ON l_books\.author_id = l_authors_1\.id WHERE l_books\.shelf_id = ANY\(\$1\)$/);
    expect(statements[1]!.sql).toMatch(/FROM l_pages WHERE l_pages\.book_id = ANY\(\$1\)$/);
    const books = loaded.books as unknown as { id: number; pages: Page[]; author: Author | null; shelf: Shelf | null }[];
    const graph = await assertQueryCount(engine, 0, async () =>
      books.map((b) => [b.id, ids(b.pages), b.author?.name, b.shelf === shelf]).sort());
    expect(graph).toEqual([[1, [1, 2], "ann", true], [2, [], "bob", true]]);
  });

  it("expired objects (after commit) are refreshed in one statement first, then loaded", async () => {
    await using session = new Session(engine);
    const users = await allUsers(session);
    await session.commit();
    const { result: loaded, statements } = await withStatements(engine, () => session.load(users, "orders"));
    expect(statements).toHaveLength(2);
    expect(statements[0]!.sql).toMatch(/^SELECT users\.id, users\.email, users\.tenant_id FROM users WHERE users\.id = ANY\(\$1\)$/);
    expect(keysOf(statements[0]!.params)).toEqual([1, 2, 3]);
    expect(statements[1]!.sql).toMatch(ORDERS_BY_USER);
    expect(loaded.map((u) => [u.email, ids(u.orders)])).toEqual([["a@x.com", [10, 11]], ["b@y.com", [12]], ["c@z.com", []]]);
  });

  it("a many-to-one from expired objects refreshes them and their expired targets", async () => {
    await using session = new Session(engine);
    await allUsers(session);
    const orders = (await session.scalars(select(Order).orderBy(Order.id))).all();
    await session.commit();
    const { result: loaded, statements } = await withStatements(engine, () => session.load(orders, "user"));
    expect(statements).toHaveLength(2);
    expect(statements[0]!.sql).toMatch(/FROM orders WHERE orders\.id = ANY\(\$1\)$/);
    expect(statements[1]!.sql).toMatch(/FROM users WHERE users\.id = ANY\(\$1\)$/);
    expect(loaded.map((o) => o.user?.email)).toEqual(["a@x.com", "a@x.com", "b@y.com"]);
  });

  it("an expired object whose row is gone is an error, not an empty relationship", async () => {
    await using session = new Session(engine);
    const user = (await session.get(User, 3))!;
    session.expire(user);
    await session.execute(deleteFrom(Base.metadata.table("users")).where(User.id.eq(3)));
    const error = await session.load(user, "orders").then(() => undefined, (e: unknown) => e as Error);
    expect(error).toBeInstanceOf(InvalidRequestError);
    expect(error!.message).toMatch(/could not refresh expired <User at 0x[0-9a-f]+>: its row no longer exists/);
    await session.rollback();
  });

  it("autoflushes pending changes first, as a lazy load's query would", async () => {
    await using session = new Session(engine);
    const user = (await session.get(User, 3))!;
    session.add(new Order({ id: 99, userId: 3, total: 1 }));
    const { result: loaded, statements } = await withStatements(engine, () => session.load(user, "orders"));
    expect(statements.map((st) => st.sql.split(" ")[0])).toEqual(["INSERT", "SELECT"]);
    expect(ids(loaded.orders)).toEqual([99]);
    await session.rollback();
  });

  it("a relationship expired by expire(obj, [name]) is loaded again", async () => {
    await using session = new Session(engine);
    // (Loading an already-loaded path keeps its type: again.orders below is Order[].)
    const user = await session.load((await session.get(User, 1))!, "orders");
    session.expire(user, ["orders"]);
    expect(() => user.orders).toThrow("'User.orders' is not loaded");
    const again = await assertQueryCount(engine, 1, () => session.load(user, "orders"));
    expect(ids(again.orders)).toEqual([10, 11]);
  });

  it("an empty list sends nothing; no path is an ArgumentError", async () => {
    await using session = new Session(engine);
    await assertQueryCount(engine, 0, () => session.load([], "orders"));
    const user = (await session.get(User, 1))!;
    await expect(session.load(user)).rejects.toThrow(ArgumentError);
    await expect(session.load(user)).rejects.toThrow('session.load(objects, ...paths) needs at least one relationship');
  });

  it("an unknown relationship name is an error that names the entity", async () => {
    await using session = new Session(engine);
    const user = (await session.get(User, 1))!;
    // @ts-expect-error "ordres" is not a relationship of users (the types catch it too)
    const error = await session.load(user, "ordres").then(() => undefined, (e: unknown) => e as Error);
    expect(error).toBeInstanceOf(Error);
    expect(error!.message).toContain("User");
    expect(error!.message).toContain("ordres");
  });

  it("objects of another (closed) session are refused with DetachedInstanceError", async () => {
    const first = new Session(engine);
    const user = (await first.get(User, 1))!;
    await first.close();
    await using second = new Session(engine);
    const error = await second.load(user, "orders").then(() => undefined, (e: unknown) => e as Error);
    expect(error).toBeInstanceOf(DetachedInstanceError);
    expect(error!.message).toMatch(/^Instance <User at 0x[0-9a-f]+> is not bound to this Session; load\(\) cannot proceed/);
  });
});
