/**
 * Raise rules (ANCHORS 15): raiseload() options and model-level lazy="raise" / "raise_on_sql" /
 * "noload" turn a forgotten relationship into an immediate LazyLoadError; model-level eager
 * defaults (lazy: "selectin") load without options and stop at back-references.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  column, createEngine, declarativeBase, InvalidRequestError, LazyLoadError, noload, NotLoadedError, raiseload, select, selectinload,
  joinedload, defaultload, containsEager, Session, type Engine,
} from "../../../src/index.js";
import { assertQueryCount, withStatements } from "../../../src/testing/assert-sql.js";
import { Base, Order, TreeNode, User } from "../../fixtures/models.js";
import { backends } from "../../support/backends.js";

// ---- models with lazy defaults -------------------------------------------------------------

interface StrictModels {
  Writer: Writer;
  Bio: Bio;
  Post: Post;
  Editor: Editor;
  Tag: Tag;
  Note: Note;
}
const Strict = declarativeBase<StrictModels>();

class Writer extends Strict.entity("w_writers", {
  id: column.integer().primaryKey(),
  name: column.text(),
  posts: Strict.many("Post", { backPopulates: "writer", lazy: "raise" }),
  bio: Strict.one("Bio", { backPopulates: "writer", lazy: "raise_on_sql" }),
}) {}

class Bio extends Strict.entity("w_bios", {
  id: column.integer().primaryKey(),
  writerId: column.integer().references("w_writers.id").unique(),
  text: column.text(),
  writer: Strict.one("Writer", { backPopulates: "bio" }),
}) {}

class Editor extends Strict.entity("w_editors", {
  id: column.integer().primaryKey(),
  name: column.text(),
}) {}

class Post extends Strict.entity("w_posts", {
  id: column.integer().primaryKey(),
  writerId: column.integer().references("w_writers.id"),
  editorId: column.integer().references("w_editors.id").nullable(),
  title: column.text(),
  writer: Strict.one("Writer", { backPopulates: "posts", lazy: "raise" }),
  editor: Strict.one("Editor", { lazy: "raise_on_sql" }),
  tags: Strict.many("Tag", { secondary: "w_post_tags", lazy: "raise_on_sql" }),
  notes: Strict.many("Note", { lazy: "noload" }),
}) {}

class Tag extends Strict.entity("w_tags", {
  id: column.integer().primaryKey(),
  label: column.text(),
}) {}

class Note extends Strict.entity("w_notes", {
  id: column.integer().primaryKey(),
  postId: column.integer().references("w_posts.id"),
  body: column.text(),
}) {}

Strict.table("w_post_tags", {
  post_id: column.integer().references("w_posts.id").primaryKey(),
  tag_id: column.integer().references("w_tags.id").primaryKey(),
});

Strict.register({ Writer, Bio, Post, Editor, Tag, Note });

interface EagerModels {
  Shelf: Shelf;
  Book: Book;
  Page: Page;
  Category: Category;
  Folder: Folder;
}
const Eager = declarativeBase<EagerModels>();

class Shelf extends Eager.entity("e_shelves", {
  id: column.integer().primaryKey(),
  label: column.text(),
  books: Eager.many("Book", { backPopulates: "shelf", lazy: "selectin" }),
}) {}

class Book extends Eager.entity("e_books", {
  id: column.integer().primaryKey(),
  shelfId: column.integer().references("e_shelves.id"),
  title: column.text(),
  shelf: Eager.one("Shelf", { backPopulates: "books", lazy: "selectin" }),
  pages: Eager.many("Page", { backPopulates: "book", lazy: "selectin" }),
}) {}

class Page extends Eager.entity("e_pages", {
  id: column.integer().primaryKey(),
  bookId: column.integer().references("e_books.id"),
  num: column.integer(),
  book: Eager.one("Book", { backPopulates: "pages", lazy: "selectin" }),
}) {}

// Self-referential eager defaults: without joinDepth they do not load at all (SQLAlchemy's rule);
// with joinDepth: N they load N levels.
class Category extends Eager.entity("e_categories", {
  id: column.integer().primaryKey(),
  parentId: column.integer().references("e_categories.id").nullable(),
  children: Eager.many("Category", { backPopulates: "parent", lazy: "selectin" }),
  parent: Eager.one("Category", { backPopulates: "children" }),
}) {}

class Folder extends Eager.entity("e_folders", {
  id: column.integer().primaryKey(),
  parentId: column.integer().references("e_folders.id").nullable(),
  children: Eager.many("Folder", { backPopulates: "parent", lazy: "selectin", joinDepth: 2 }),
  parent: Eager.one("Folder", { backPopulates: "children" }),
}) {}

Eager.register({ Shelf, Book, Page, Category, Folder });

// ---- helpers -------------------------------------------------------------------------------

async function seed(engine: Engine): Promise<void> {
  await Base.metadata.createAll(engine);
  await Strict.metadata.createAll(engine);
  await Eager.metadata.createAll(engine);
  for (const sql of [
    "INSERT INTO users (id, email) VALUES (1, 'a@x.com'), (2, 'b@y.com')",
    "INSERT INTO orders (id, user_id, total) VALUES (10, 1, 50), (11, 1, 150), (12, 2, 300)",
    "INSERT INTO invoices (id, user_id, amount) VALUES (100, 1, 9.5)",
    "INSERT INTO products (id, name, price) VALUES (1, 'p1', 1.50), (2, 'p2', 2.00)",
    "INSERT INTO order_products (order_id, product_id) VALUES (10, 1), (10, 2), (12, 2)",
    "INSERT INTO nodes (id, parent_id, name) VALUES (1, NULL, 'root'), (2, 1, 'leaf')",
    "INSERT INTO w_writers (id, name) VALUES (1, 'ann'), (2, 'bob')",
    "INSERT INTO w_bios (id, writer_id, text) VALUES (1, 1, 'hi')",
    "INSERT INTO w_editors (id, name) VALUES (1, 'ed'), (2, 'eve')",
    "INSERT INTO w_posts (id, writer_id, editor_id, title) VALUES (1, 1, 1, 'one'), (2, 1, NULL, 'two'), (3, 2, 2, 'three')",
    "INSERT INTO w_tags (id, label) VALUES (1, 'x')",
    "INSERT INTO w_post_tags (post_id, tag_id) VALUES (1, 1)",
    "INSERT INTO w_notes (id, post_id, body) VALUES (1, 1, 'n1'), (2, 1, 'n2')",
    "INSERT INTO e_shelves (id, label) VALUES (1, 'left'), (2, 'right')",
    "INSERT INTO e_books (id, shelf_id, title) VALUES (1, 1, 'b1'), (2, 1, 'b2'), (3, 2, 'b3')",
    "INSERT INTO e_pages (id, book_id, num) VALUES (1, 1, 1), (2, 1, 2), (3, 3, 1)",
    "INSERT INTO e_categories (id, parent_id) VALUES (1, NULL), (2, 1), (3, 2)",
    "INSERT INTO e_folders (id, parent_id) VALUES (1, NULL), (2, 1), (3, 2), (4, 3)",
  ]) await engine.execute({ sql, params: [] });
}

/** The error `fn` throws, checking that no statement was sent while it ran. */
async function raised(engine: Engine, fn: () => unknown): Promise<Error> {
  const { result, statements } = await withStatements(engine, async () => {
    try {
      fn();
    } catch (error) {
      return error as Error;
    }
    throw new Error("expected an error, none was thrown");
  });
  expect(statements.map((s) => s.sql)).toEqual([]);
  return result;
}

const sorted = (ids: number[]): number[] => [...ids].sort((a, b) => a - b);

describe.each(backends)("raise rules ($name)", (backend) => {
  let engine: Engine;
  beforeAll(async () => {
    engine = createEngine(await backend.freshUrl());
    await seed(engine);
  });
  afterAll(() => engine.dispose());

  describe("raiseload() options", () => {
    it("raiseload(User.orders) raises LazyLoadError naming User.orders and the fix; other relationships are untouched", async () => {
      await using session = new Session(engine);
      const { result: users, statements } = await withStatements(engine, async () =>
        (await session.scalars(select(User).where(User.id.eq(1)).options(raiseload(User.orders)))).all());
      expect(statements.map((s) => s.sql)).toEqual([
        "SELECT users.id, users.email, users.tenant_id FROM users WHERE users.id = $1",
      ]);
      const error = await raised(engine, () => users[0]!.orders);
      expect(error).toBeInstanceOf(LazyLoadError);
      expect(error).toBeInstanceOf(InvalidRequestError);
      expect(error.message).toContain("'User.orders' is not available due to lazy='raise'");
      expect(error.message).toContain("selectinload(User.orders)");
      const other = await raised(engine, () => users[0]!.invoice);
      expect(other).toBeInstanceOf(NotLoadedError);
      expect(other).not.toBeInstanceOf(LazyLoadError);
    });

    it('bare raiseload("*") covers objects reached by the same query\'s eager loaders', async () => {
      await using session = new Session(engine);
      const { result: users, statements } = await withStatements(engine, async () =>
        (await session.scalars(select(User).where(User.id.eq(1)).options(selectinload(User.orders), raiseload("*")))).all());
      expect(statements).toHaveLength(2);
      expect(statements[0]!.sql).toBe("SELECT users.id, users.email, users.tenant_id FROM users WHERE users.id = $1");
      expect(statements[1]!.sql).toMatch(/^SELECT orders\.user_id, orders\.id, .* FROM orders WHERE orders\.user_id = ANY\(\$1\)/);
      const user = users[0]!;
      expect(sorted(user.orders.map((o) => o.id))).toEqual([10, 11]);
      const products = await raised(engine, () => user.orders[0]!.products);
      expect(products).toBeInstanceOf(LazyLoadError);
      expect(products.message).toContain("'Order.products' is not available due to lazy='raise'");
      expect(products.message).toContain("selectinload(Order.products)");
      const invoice = await raised(engine, () => user.invoice);
      expect(invoice).toBeInstanceOf(LazyLoadError);
      expect(invoice.message).toContain("'User.invoice' is not available due to lazy='raise'");
      expect(invoice.message).toContain("joinedload(User.invoice)");
    });

    it('bare raiseload("*") covers every relationship of the queried entity', async () => {
      await using session = new Session(engine);
      const user = await assertQueryCount(engine, 1, async () =>
        (await session.scalars(select(User).where(User.id.eq(2)).options(raiseload("*")))).one());
      expect((await raised(engine, () => user.orders)).message).toContain("'User.orders' is not available due to lazy='raise'");
      expect((await raised(engine, () => user.invoice)).message).toContain("'User.invoice' is not available due to lazy='raise'");
    });

    it('bare raiseload("*") also covers objects filled by containsEager()', async () => {
      await using session = new Session(engine);
      const users = await assertQueryCount(engine, 1, async () =>
        (await session.scalars(select(User).join(User.orders).where(Order.total.gt(100)).orderBy(User.id)
          .options(containsEager(User.orders), raiseload("*")))).unique().all());
      expect(users.map((u) => [u.id, u.orders.map((o) => o.id)])).toEqual([[1, [11]], [2, [12]]]);
      const error = await raised(engine, () => users[0]!.orders[0]!.products);
      expect(error).toBeInstanceOf(LazyLoadError);
      expect(error.message).toContain("'Order.products' is not available due to lazy='raise'");
      expect(() => users[0]!.invoice).toThrow("'User.invoice' is not available due to lazy='raise'");
    });

    it('path-scoped selectinload(User.orders).raiseload("*") covers only the orders\' relationships', async () => {
      await using session = new Session(engine);
      const user = await assertQueryCount(engine, 2, async () =>
        (await session.scalars(select(User).where(User.id.eq(1)).options(selectinload(User.orders).raiseload("*")))).one());
      expect(sorted(user.orders.map((o) => o.id))).toEqual([10, 11]);
      const products = await raised(engine, () => user.orders[0]!.products);
      expect(products).toBeInstanceOf(LazyLoadError);
      expect(products.message).toContain("'Order.products' is not available due to lazy='raise'");
      const owner = await raised(engine, () => user.orders[0]!.user);
      expect(owner).toBeInstanceOf(LazyLoadError);
      expect(owner.message).toContain("'Order.user' is not available due to lazy='raise'");
      const invoice = await raised(engine, () => user.invoice);
      expect(invoice).toBeInstanceOf(NotLoadedError);
      expect(invoice).not.toBeInstanceOf(LazyLoadError);
      expect(invoice.message).toContain("'User.invoice' is not loaded");
    });

    it("raiseload(Order.user) raises even though the target is in the identity map", async () => {
      await using session = new Session(engine);
      const user = (await session.get(User, 1))!;
      const order = await assertQueryCount(engine, 1, async () =>
        (await session.scalars(select(Order).where(Order.id.eq(10)).options(raiseload(Order.user)))).one());
      expect(await assertQueryCount(engine, 0, () => session.get(User, 1))).toBe(user); // user 1 is in the map
      const error = await raised(engine, () => order.user);
      expect(error).toBeInstanceOf(LazyLoadError);
      expect(error.message).toContain("'Order.user' is not available due to lazy='raise'");
      expect(error.message).toContain("joinedload(Order.user)");
    });

    it("raiseload(attr, { sqlOnly: true }) raises lazy='raise_on_sql' for a collection", async () => {
      await using session = new Session(engine);
      const user = await assertQueryCount(engine, 1, async () =>
        (await session.scalars(select(User).where(User.id.eq(1)).options(raiseload(User.orders, { sqlOnly: true })))).one());
      const error = await raised(engine, () => user.orders);
      expect(error).toBeInstanceOf(LazyLoadError);
      expect(error.message).toContain("'User.orders' is not available due to lazy='raise_on_sql'");
      expect(error.message).toContain("selectinload(User.orders)");
    });

    it("raiseload(m2o, { sqlOnly: true }) answers from the identity map and raises only when SQL is needed", async () => {
      await using session = new Session(engine);
      const user = (await session.get(User, 1))!;
      const orders = await assertQueryCount(engine, 1, async () =>
        (await session.scalars(select(Order).orderBy(Order.id).options(raiseload(Order.user, { sqlOnly: true })))).all());
      expect(orders.map((o) => o.id)).toEqual([10, 11, 12]);
      const owners = await assertQueryCount(engine, 0, async () => [orders[0]!.user, orders[1]!.user]);
      expect(owners[0]).toBe(user);
      expect(owners[1]).toBe(user);
      const error = await raised(engine, () => orders[2]!.user);
      expect(error).toBeInstanceOf(LazyLoadError);
      expect(error.message).toContain("'Order.user' is not available due to lazy='raise_on_sql'");
    });

    it("raiseload(m2o, { sqlOnly: true }) with a NULL foreign key gives null without SQL", async () => {
      await using session = new Session(engine);
      const nodes = await assertQueryCount(engine, 1, async () =>
        (await session.scalars(select(TreeNode).orderBy(TreeNode.id).options(raiseload(TreeNode.parent, { sqlOnly: true })))).all());
      const [root, leaf] = nodes;
      expect(await assertQueryCount(engine, 0, async () => root!.parent)).toBeNull();
      expect(await assertQueryCount(engine, 0, async () => leaf!.parent)).toBe(root); // root is in the map
    });

    it("a query option beats a wildcard: selectinload(User.orders) + raiseload('*') loads orders", async () => {
      await using session = new Session(engine);
      const user = await assertQueryCount(engine, 2, async () =>
        (await session.scalars(select(User).where(User.id.eq(1)).options(raiseload("*"), selectinload(User.orders)))).one());
      expect(sorted(user.orders.map((o) => o.id))).toEqual([10, 11]);
    });

    it('bare raiseload("*", { sqlOnly: true }) answers many-to-ones from the identity map and raises for collections', async () => {
      await using session = new Session(engine);
      const user = (await session.get(User, 2))!;
      const order = await assertQueryCount(engine, 1, async () =>
        (await session.scalars(select(Order).where(Order.id.eq(12)).options(raiseload("*", { sqlOnly: true })))).one());
      expect(await assertQueryCount(engine, 0, async () => order.user)).toBe(user);
      const error = await raised(engine, () => order.products);
      expect(error).toBeInstanceOf(LazyLoadError);
      expect(error.message).toContain("'Order.products' is not available due to lazy='raise_on_sql'");
    });

    it('bare raiseload("*") also covers objects reached by a joinedload', async () => {
      await using session = new Session(engine);
      const { result: order, statements } = await withStatements(engine, async () =>
        (await session.scalars(select(Order).where(Order.id.eq(10)).options(joinedload(Order.user), raiseload("*")))).one());
      expect(statements).toHaveLength(1);
      expect(statements[0]!.sql).toMatch(/FROM orders LEFT OUTER JOIN users AS users_1 ON orders\.user_id = users_1\.id WHERE orders\.id = \$1/);
      expect(order.user?.email).toBe("a@x.com");
      const error = await raised(engine, () => order.user!.invoice);
      expect(error).toBeInstanceOf(LazyLoadError);
      expect(error.message).toContain("'User.invoice' is not available due to lazy='raise'");
    });

    it("an object already in the identity map keeps the options it was loaded with, unless populateExisting()", async () => {
      await using session = new Session(engine);
      const user = (await session.get(User, 1))!;
      const same = await assertQueryCount(engine, 1, async () =>
        (await session.scalars(select(User).where(User.id.eq(1)).options(raiseload(User.orders)))).one());
      expect(same).toBe(user);
      expect(await raised(engine, () => user.orders)).toBeInstanceOf(NotLoadedError);
      await assertQueryCount(engine, 1, async () =>
        (await session.scalars(select(User).where(User.id.eq(1)).options(raiseload(User.orders)).populateExisting())).one());
      const error = await raised(engine, () => user.orders);
      expect(error).toBeInstanceOf(LazyLoadError);
      expect(error.message).toContain("'User.orders' is not available due to lazy='raise'");
      // A later populateExisting() without loader options keeps them (SQLAlchemy keeps the original options).
      await session.scalars(select(User).where(User.id.eq(1)).populateExisting());
      expect(() => user.orders).toThrow(LazyLoadError);
    });

    it("transient and pending objects never raise", async () => {
      await using session = new Session(engine);
      const user = new User({ id: 70, email: "t@x.com" });
      expect(user.orders).toEqual([]);
      expect(user.invoice).toBeNull();
      const writer = new Writer({ id: 70, name: "new" });
      const post = new Post({ id: 70, writerId: 1, title: "new" });
      session.add(writer);
      session.add(post);
      const values = await assertQueryCount(engine, 0, async () => [writer.posts, writer.bio, post.writer, post.editor, post.tags]);
      expect(values).toEqual([[], null, null, null, []]);
      await session.rollback();
    });

    it('bare noload("*") empties every relationship not otherwise loaded, including those of eager-loaded objects', async () => {
      await using session = new Session(engine);
      const user = await assertQueryCount(engine, 2, async () =>
        (await session.scalars(select(User).where(User.id.eq(1)).options(selectinload(User.orders), noload("*")))).one());
      const values = await assertQueryCount(engine, 0, async () =>
        [sorted(user.orders.map((o) => o.id)), user.invoice, user.orders.map((o) => o.products)]);
      expect(values).toEqual([[10, 11], null, [[], []]]);
    });

    it("noload() gives [] and null without SQL", async () => {
      await using session = new Session(engine);
      const user = await assertQueryCount(engine, 1, async () =>
        (await session.scalars(select(User).where(User.id.eq(1)).options(noload(User.orders), noload(User.invoice)))).one());
      expect(await assertQueryCount(engine, 0, async () => [user.orders, user.invoice])).toEqual([[], null]);
    });
  });

  describe("model-level lazy modes", () => {
    it("lazy: 'raise' raises for a collection, and for a many-to-one even when the target is in the identity map", async () => {
      await using session = new Session(engine);
      const writer = (await session.get(Writer, 1))!;
      const posts = await assertQueryCount(engine, 1, async () =>
        (await session.scalars(select(Post).where(Post.writerId.eq(1)).orderBy(Post.id))).all());
      const collection = await raised(engine, () => writer.posts);
      expect(collection).toBeInstanceOf(LazyLoadError);
      expect(collection.message).toContain("'Writer.posts' is not available due to lazy='raise'");
      expect(collection.message).toContain("selectinload(Writer.posts)");
      const owner = await raised(engine, () => posts[0]!.writer);
      expect(owner).toBeInstanceOf(LazyLoadError);
      expect(owner.message).toContain("'Post.writer' is not available due to lazy='raise'");
      expect(owner.message).toContain("joinedload(Post.writer)");
    });

    it("lazy: 'raise_on_sql' many-to-one: identity map and NULL answer, a miss raises", async () => {
      await using session = new Session(engine);
      const ed = (await session.get(Editor, 1))!;
      const posts = await assertQueryCount(engine, 1, async () => (await session.scalars(select(Post).orderBy(Post.id))).all());
      expect(posts.map((p) => p.editorId)).toEqual([1, null, 2]);
      expect(await assertQueryCount(engine, 0, async () => posts[0]!.editor)).toBe(ed);
      expect(await assertQueryCount(engine, 0, async () => posts[1]!.editor)).toBeNull();
      const error = await raised(engine, () => posts[2]!.editor);
      expect(error).toBeInstanceOf(LazyLoadError);
      expect(error.message).toContain("'Post.editor' is not available due to lazy='raise_on_sql'");
      expect(error.message).toContain("joinedload(Post.editor)");
    });

    it("lazy: 'raise_on_sql' always raises for many-to-many and for a one-to-one with the key on the other side", async () => {
      await using session = new Session(engine);
      const post = (await session.get(Post, 1))!;
      const writer = (await session.get(Writer, 1))!;
      await session.get(Bio, 1); // in the identity map, but the writer holds no key to find it
      const tags = await raised(engine, () => post.tags);
      expect(tags).toBeInstanceOf(LazyLoadError);
      expect(tags.message).toContain("'Post.tags' is not available due to lazy='raise_on_sql'");
      const bio = await raised(engine, () => writer.bio);
      expect(bio).toBeInstanceOf(LazyLoadError);
      expect(bio.message).toContain("'Writer.bio' is not available due to lazy='raise_on_sql'");
    });

    it("lazy: 'noload' reads [] without SQL although rows exist", async () => {
      await using session = new Session(engine);
      const post = await assertQueryCount(engine, 1, async () => (await session.get(Post, 1))!);
      expect(await assertQueryCount(engine, 0, async () => post.notes)).toEqual([]);
    });

    it("a query option beats the model default (selectinload over lazy='raise', noload over lazy='selectin')", async () => {
      await using session = new Session(engine);
      const { result: writer, statements } = await withStatements(engine, async () =>
        (await session.scalars(select(Writer).where(Writer.id.eq(1)).options(selectinload(Writer.posts), joinedload(Writer.bio)))).one());
      expect(statements).toHaveLength(2);
      expect(statements[0]!.sql).toMatch(/FROM w_writers LEFT OUTER JOIN w_bios AS w_bios_1 ON/);
      expect(statements[1]!.sql).toMatch(/FROM w_posts WHERE w_posts\.writer_id = ANY\(\$1\)/);
      expect(sorted(writer.posts.map((p) => p.id))).toEqual([1, 2]);
      expect(writer.bio?.text).toBe("hi");
      // The posts were loaded without an option for Post.writer: the model's lazy='raise' holds.
      expect(() => writer.posts[0]!.writer).toThrow("'Post.writer' is not available due to lazy='raise'");

      const shelf = await assertQueryCount(engine, 1, async () =>
        (await session.scalars(select(Shelf).where(Shelf.id.eq(1)).options(noload(Shelf.books)))).one());
      expect(shelf.books).toEqual([]);
    });

    it("raiseload(attr) beats a model-level eager default", async () => {
      await using session = new Session(engine);
      const shelf = await assertQueryCount(engine, 1, async () =>
        (await session.scalars(select(Shelf).where(Shelf.id.eq(2)).options(raiseload(Shelf.books)))).one());
      expect(() => shelf.books).toThrow("'Shelf.books' is not available due to lazy='raise'");
    });

    it('bare raiseload("*") beats model-level eager defaults', async () => {
      await using session = new Session(engine);
      const book = await assertQueryCount(engine, 1, async () =>
        (await session.scalars(select(Book).where(Book.id.eq(3)).options(raiseload("*")))).one());
      expect(() => book.shelf).toThrow("'Book.shelf' is not available due to lazy='raise'");
      expect(() => book.pages).toThrow("'Book.pages' is not available due to lazy='raise'");
    });
  });

  describe("model-level eager defaults (lazy: 'selectin')", () => {
    it("select(Shelf) loads books and their pages, one statement per level, without looping back", async () => {
      await using session = new Session(engine);
      const { result: shelves, statements } = await withStatements(engine, async () =>
        (await session.scalars(select(Shelf).orderBy(Shelf.id))).all());
      expect(statements).toHaveLength(3);
      expect(statements[0]!.sql).toBe("SELECT e_shelves.id, e_shelves.label FROM e_shelves ORDER BY e_shelves.id");
      expect(statements[1]!.sql).toMatch(/^SELECT e_books\.shelf_id, e_books\.id, .*FROM e_books WHERE e_books\.shelf_id = ANY\(\$1\)/);
      expect(statements[2]!.sql).toMatch(/^SELECT e_pages\.book_id, e_pages\.id, .*FROM e_pages WHERE e_pages\.book_id = ANY\(\$1\)/);
      const graph = await assertQueryCount(engine, 0, async () =>
        shelves.map((s) => [s.id, sorted(s.books.map((b) => b.id)), s.books.flatMap((b) => sorted(b.pages.map((p) => p.id)))]));
      expect(graph.map((g) => [g[0], g[1]])).toEqual([[1, [1, 2]], [2, [3]]]);
      expect(sorted(graph.flatMap((g) => g[2] as number[]))).toEqual([1, 2, 3]);
      // The back-references answer from the identity map (many-to-one), no query.
      const back = await assertQueryCount(engine, 0, async () => shelves[0]!.books.map((b) => b.shelf));
      expect(back).toEqual([shelves[0], shelves[0]]);
    });

    it("select(Book) loads shelves and pages; the back-reference Shelf.books is not loaded again", async () => {
      await using session = new Session(engine);
      const { result: books, statements } = await withStatements(engine, async () =>
        (await session.scalars(select(Book).where(Book.id.eq(1)))).all());
      expect(statements).toHaveLength(3);
      expect(statements[0]!.sql).toMatch(/^SELECT e_books\.id, e_books\.shelf_id, e_books\.title FROM e_books WHERE e_books\.id = \$1/);
      const rest = statements.slice(1).map((s) => s.sql);
      expect(rest.some((sql) => /FROM e_shelves WHERE e_shelves\.id = ANY\(\$1\)/.test(sql))).toBe(true);
      expect(rest.some((sql) => /FROM e_pages WHERE e_pages\.book_id = ANY\(\$1\)/.test(sql))).toBe(true);
      const book = books[0]!;
      expect(book.shelf?.id).toBe(1);
      expect(sorted(book.pages.map((p) => p.id))).toEqual([1, 2]);
      // Shelf.books was not followed back from the shelf: it is simply not loaded.
      expect(() => book.shelf!.books).toThrow(NotLoadedError);
      expect(() => book.shelf!.books).toThrow("'Shelf.books' is not loaded");
    });

    it("defaultload(Shelf.books).raiseload(Book.pages) keeps the model's selectin for books and raises for pages", async () => {
      await using session = new Session(engine);
      const { result: shelf, statements } = await withStatements(engine, async () =>
        (await session.scalars(select(Shelf).where(Shelf.id.eq(1)).options(defaultload(Shelf.books).raiseload(Book.pages)))).one());
      expect(statements).toHaveLength(2);
      expect(statements[1]!.sql).toMatch(/FROM e_books WHERE e_books\.shelf_id = ANY\(\$1\)/);
      expect(sorted(shelf.books.map((b) => b.id))).toEqual([1, 2]);
      expect(() => shelf.books[0]!.pages).toThrow("'Book.pages' is not available due to lazy='raise'");
    });

    it("a self-referential eager default without joinDepth does not load (SQLAlchemy: 'the eager load will not take place at all')", async () => {
      await using session = new Session(engine);
      const root = await assertQueryCount(engine, 1, async () =>
        (await session.scalars(select(Category).where(Category.id.eq(1)))).one());
      expect(() => root.children).toThrow(NotLoadedError);
      expect(() => root.children).toThrow("'Category.children' is not loaded");
    });

    it("joinDepth: 2 loads two levels of a self-referential eager default, one statement each", async () => {
      await using session = new Session(engine);
      const { result: root, statements } = await withStatements(engine, async () =>
        (await session.scalars(select(Folder).where(Folder.id.eq(1)))).one());
      expect(statements).toHaveLength(3);
      expect(statements.slice(1).every((st) => /FROM e_folders WHERE e_folders\.parent_id = ANY\(\$1\)$/.test(st.sql))).toBe(true);
      const levels = root.children.map((c) => [c.id, c.children.map((g) => g.id)]);
      expect(levels).toEqual([[2, [3]]]);
      expect(() => root.children[0]!.children[0]!.children).toThrow("'Folder.children' is not loaded");
    });

    it("session.get() applies the model-level eager defaults too", async () => {
      await using session = new Session(engine);
      const shelf = await assertQueryCount(engine, 3, async () => (await session.get(Shelf, 2))!);
      expect(shelf.books.map((b) => [b.id, b.pages.map((p) => p.id)])).toEqual([[3, [3]]]);
    });
  });
});
