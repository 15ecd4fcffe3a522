/**
 * N+1 detection: session.load() for one object at a time, for the same entity and path, is
 * reported at the tenth call in a session (src/orm/session/n-plus-one.ts).
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { NPlusOneError, select, selectinload, Session, setWarningSink, type Engine } from "../../../src/index.js";
import { captureStatements } from "../../../src/testing/assert-sql.js";
import { Order, User } from "../../fixtures/models.js";
import { backends } from "../../support/backends.js";
import { freshEngine } from "../loading/support.js";

const USERS = 12;

describe.each(backends)("N+1 detection ($name)", (backend) => {
  let engine: Engine;
  let warnings: { message: string; code: string }[] = [];
  let previousSink: ReturnType<typeof setWarningSink>;
  beforeAll(async () => {
    engine = await freshEngine(backend, false);
    await using session = new Session(engine);
    for (let i = 1; i <= USERS; i++) session.add(new User({ id: i, email: `u${i}@x.com`, orders: [new Order({ id: 100 + i, total: i })] }));
    await session.commit();
    previousSink = setWarningSink((message, code) => warnings.push({ message, code }));
  });
  afterEach(() => {
    warnings = [];
  });
  afterAll(async () => {
    setWarningSink(previousSink);
    await engine?.dispose();
  });

  const allUsers = async (session: Session): Promise<User[]> => (await session.scalars(select(User).orderBy(User.id))).all();

  it("ten single-object loads of one path warn once, naming the entity, the relationship and the fixes", async () => {
    await using session = new Session(engine);
    const users = await allUsers(session);
    for (const user of users) await session.load(user, "orders");
    const nPlusOne = warnings.filter((w) => w.code === "n-plus-one");
    expect(nPlusOne).toHaveLength(1);
    expect(nPlusOne[0]!.message).toBe(
      'N+1 detected: session.load() loaded User.orders ("orders") for one User at a time, 10 times in this session, one query per object. ' +
        'Load them together: await session.load(users, "orders") with the whole list runs one query per level; ' +
        "or add selectinload(User.orders) to the options of the query that loaded them.",
    );
    expect(users.every((u) => (u.orders as Order[]).length === 1)).toBe(true);
  });

  it('with nPlusOne: "raise" the tenth call throws before its query is sent', async () => {
    await using session = new Session(engine, { nPlusOne: "raise" });
    const users = await allUsers(session);
    for (const user of users.slice(0, 9)) await session.load(user, User.orders);
    const capture = captureStatements(engine);
    const error = await session.load(users[9]!, User.orders).then(() => undefined, (e: unknown) => e);
    capture.stop();
    expect(error).toBeInstanceOf(NPlusOneError);
    expect((error as NPlusOneError).code).toBe("n-plus-one");
    expect(capture.sql).toEqual([]);
  });

  it("one call for the whole list, loads of already-loaded relationships and other paths do not count", async () => {
    await using session = new Session(engine, { nPlusOne: "raise" });
    const users = await allUsers(session);
    await session.load(users, "orders");
    for (const user of users) await session.load(user, "orders");
    for (const user of users.slice(0, 9)) await session.load(user, "invoice");
    for (const order of users.slice(0, 9).map((u) => (u.orders as Order[])[0]!)) await session.load(order, "products");
    expect(warnings).toEqual([]);
  });

  it("loads the query loaded with selectinload are already there: no N+1", async () => {
    await using session = new Session(engine, { nPlusOne: "raise" });
    const users = (await session.scalars(select(User).options(selectinload(User.orders)))).all();
    for (const user of users) await session.load(user, "orders");
    expect(warnings).toEqual([]);
  });

  it('nPlusOne: "ignore" turns detection off; each session counts on its own', async () => {
    {
      await using quiet = new Session(engine, { nPlusOne: "ignore" });
      for (const user of await allUsers(quiet)) await quiet.load(user, "orders");
    }
    // Nine in each of two sessions: neither reaches ten. (One after the other: PGlite has one connection.)
    for (let i = 0; i < 2; i++) {
      await using session = new Session(engine, { nPlusOne: "raise" });
      for (const user of (await allUsers(session)).slice(0, 9)) await session.load(user, "orders");
    }
    expect(warnings).toEqual([]);
  });
});
