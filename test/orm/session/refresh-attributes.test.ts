/**
 * `session.refresh(obj, attributeNames)` loads exactly the named columns and relationships, as
 * SQLAlchemy's `refresh(instance, attribute_names)` does (issue 11, defect 7: the names used to
 * be accepted and ignored). Every test asserts the statements sent.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  ArgumentError, delete_, insert, InvalidRequestError, NotLoadedError, select, selectinload, Session, update, type Engine,
} from "../../../src/index.js";
import { assertQueryCount, withStatements } from "../../../src/testing/assert-sql.js";
import { Base, Order, User } from "../../fixtures/models.js";
import { backends } from "../../support/backends.js";
import { freshEngine, sortedIds } from "../loading/support.js";

const ORDERS_OF_USERS =
  "SELECT orders.user_id, orders.id, orders.user_id, orders.total, orders.created_at FROM orders WHERE orders.user_id = ANY($1)";

describe.each(backends)("refresh(obj, attributeNames) ($name)", (backend) => {
  let engine: Engine;
  beforeAll(async () => {
    engine = await freshEngine(backend);
  });
  afterAll(() => engine?.dispose());

  // Rows changed behind the ORM's back: Core statements through the session's own connection
  // (PGlite has only one), which touch no object; each test rolls them back.
  const users = () => Base.metadata.table("users");
  const orders = () => Base.metadata.table("orders");

  it('refresh(user, ["orders"]) replaces the loaded collection with the rows in the database: one query', async () => {
    await using session = new Session(engine);
    const user = (await session.scalars(select(User).where(User.id.eq(2)).options(selectinload(User.orders)))).one();
    expect(sortedIds(user.orders)).toEqual([12]);
    await session.execute(insert(orders()).values({ id: 16, user_id: 2, total: 1 }));
    const { result, statements } = await withStatements(engine, () => session.refresh(user, ["orders"]));
    expect(statements.map((s) => s.sql)).toEqual([ORDERS_OF_USERS]);
    expect(statements[0]!.params).toEqual([[2]]);
    expect(result).toBe(user);
    expect(sortedIds(result.orders)).toEqual([12, 16]);
    await session.rollback();
  });

  it("a relationship the query never loaded is loaded; the columns are not touched", async () => {
    await using session = new Session(engine);
    const user = (await session.get(User, 1))!;
    expect(() => user.orders).toThrow(NotLoadedError);
    const refreshed = await assertQueryCount(engine, 1, () => session.refresh(user, ["orders"]));
    expect(sortedIds(refreshed.orders)).toEqual([10, 11]);
    expect(user.email).toBe("a@x.com");
  });

  it('refresh(user, ["email"]) selects that column only and keeps other unflushed changes', async () => {
    await using session = new Session(engine, { autoflush: false });
    const user = (await session.get(User, 3))!;
    user.tenantId = 7;
    await session.execute(update(users()).set({ email: "changed@z.com" }).where(User.id.eq(3)));
    const { statements } = await withStatements(engine, () => session.refresh(user, ["email"]));
    expect(statements.map((s) => [s.sql, s.params])).toEqual([["SELECT users.email FROM users WHERE users.id = $1", [3]]]);
    expect(user.email).toBe("changed@z.com");
    expect(user.tenantId).toBe(7);
    await session.rollback();
  });

  it("columns and relationships together: one query for the columns, one per relationship", async () => {
    await using session = new Session(engine);
    const user = (await session.get(User, 4))!;
    const { result, statements } = await withStatements(engine, () => session.refresh(user, ["email", "orders", "invoice"]));
    expect(statements.map((s) => s.sql)).toEqual([
      "SELECT users.email FROM users WHERE users.id = $1",
      ORDERS_OF_USERS,
      "SELECT invoices.user_id, invoices.id, invoices.user_id, invoices.amount FROM invoices WHERE invoices.user_id = ANY($1)",
    ]);
    expect(sortedIds(result.orders)).toEqual([13, 14, 15]);
    expect(result.invoice?.id).toBe(101);
  });

  it("after a commit expired everything, only the named attributes load: the key comes from the identity", async () => {
    await using session = new Session(engine);
    const user = (await session.get(User, 1))!;
    await session.commit();
    const { result, statements } = await withStatements(engine, () => session.refresh(user, ["orders"]));
    expect(statements.map((s) => s.sql)).toEqual([ORDERS_OF_USERS]);
    expect(statements[0]!.params).toEqual([[1]]);
    expect(sortedIds(result.orders)).toEqual([10, 11]);
    expect(user.id).toBe(1);
    expect(() => user.email).toThrow(NotLoadedError);
  });

  it("a many-to-one whose foreign key is expired loads the key column first, then the target", async () => {
    await using session = new Session(engine);
    const order = (await session.get(Order, 12))!;
    await session.commit();
    const { result, statements } = await withStatements(engine, () => session.refresh(order, ["user"]));
    expect(statements.map((s) => s.sql)).toEqual([
      "SELECT orders.user_id FROM orders WHERE orders.id = $1",
      "SELECT users.id, users.email, users.tenant_id FROM users WHERE users.id = ANY($1)",
    ]);
    expect(result.user.email).toBe("b@y.com");
    expect(order.userId).toBe(2);
  });

  it("a name that is not an attribute is refused with ArgumentError before any SQL", async () => {
    await using session = new Session(engine);
    const user = (await session.get(User, 1))!;
    await assertQueryCount(engine, 0, async () => {
      const names = ["ordrs"] as unknown as readonly "orders"[];
      await expect(session.refresh(user, names)).rejects.toThrow(ArgumentError);
      await expect(session.refresh(user, names)).rejects.toThrow(
        'refresh(): "ordrs" is not an attribute of User (its columns: id, email, tenantId; its relationships: orders, invoice). Nothing was sent to the database.',
      );
      await expect(session.refresh(user, ["orders.products"] as unknown as readonly "orders"[])).rejects.toThrow('use await session.load(obj, "orders.products")');
      await expect(session.refresh(user, [])).rejects.toThrow("name at least one attribute");
    });
  });

  it("a pending object has no row to refresh: InvalidRequestError, no SQL", async () => {
    await using session = new Session(engine);
    const user = new User({ email: "new@x.com" });
    session.add(user);
    await assertQueryCount(engine, 0, async () => {
      await expect(session.refresh(user, ["email"])).rejects.toThrow(InvalidRequestError);
      await expect(session.refresh(user, ["email"])).rejects.toThrow("it is pending, not persistent");
    });
  });

  it("a row deleted behind the session's back: InvalidRequestError naming the object", async () => {
    await using session = new Session(engine);
    await session.execute(insert(users()).values({ id: 50, email: "gone@x.com" }));
    const user = (await session.get(User, 50))!;
    await session.execute(delete_(users()).where(User.id.eq(50)));
    await expect(session.refresh(user, ["email"])).rejects.toThrow(/Could not refresh <User at 0x[0-9a-f]+>: its row no longer exists/);
    await session.rollback();
  });

  it("the result is typed with the named relationships loaded", async () => {
    await using session = new Session(engine);
    const user = (await session.get(User, 2))!;
    const refreshed = await session.refresh(user, ["orders"]);
    // Compiles only because refresh() returned Loaded<User, "orders">.
    expect(refreshed.orders.map((o) => o.id)).toEqual([12]);
    // @ts-expect-error invoice was not named, so it is still NotLoaded.
    expect(() => refreshed.invoice.amount).toThrow(NotLoadedError);
  });
});
