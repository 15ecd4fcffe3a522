/**
 * Every example of "Using selectinload vs joinedload for N+1 Prevention in SQLAlchemy 2.0",
 * translated to Athanor and run on embedded PostgreSQL: `npx tsx examples/seed.ts`.
 *
 * How the Python maps to TypeScript:
 * - `create_async_engine(url)` -> `createEngine(url)`; `async_sessionmaker(engine, expire_on_commit=False)`
 *   -> `sessionmaker(engine, { expireOnCommit: false })`, a factory: `SessionLocal()` is a `Session`.
 * - `async with AsyncSessionLocal() as session:` -> `await using session = SessionLocal();`
 * - `session: AsyncSession` -> `session: Session` (every Athanor session is async).
 * - `result.scalars().all()` -> `(await session.execute(stmt)).scalars().all()`, or `(await session.scalars(stmt)).all()`.
 * - `-> list[User]` -> `Promise<Loaded<User, "orders">[]>`: the type says which relationships the
 *   query loaded, so reading one it did not load is a compile error as well as a runtime one.
 * - SQLAlchemy's MissingGreenlet (an implicit lazy load in async code) is Athanor's NotLoadedError:
 *   reading an unloaded relationship never runs hidden I/O, it throws and names the loader to add.
 */
import {
  AthanorError, containsEager, createEngine, joinedload, raiseload, select, selectinload, Session,
  sessionmaker, setWarningSink, type Loaded,
} from "../src/index.js";
import { Base, Invoice, Order, Product, User } from "./models.js";
import { StrictUser } from "./raise-models.js";

// The seed's engine is `postgresql+asyncpg://user:pass@localhost/db`; here PostgreSQL runs in-process.
// `createEngine("postgresql://user:pass@localhost/db", { poolSize: 10, maxOverflow: 20 })` is the
// server equivalent (PGlite is one connection, so the pool options do not apply to it).
const engine = createEngine("pglite://memory");
const AsyncSessionLocal = sessionmaker(engine, { expireOnCommit: false });

function heading(title: string): void {
  console.log(`\n== ${title} ${"=".repeat(Math.max(0, 90 - title.length))}`);
}

/** The seed's error table, row by row: run `fn`, print the error it throws (and fail if it does not). */
async function expectError(label: string, fn: () => unknown): Promise<void> {
  try {
    await fn();
  } catch (error) {
    if (!(error instanceof AthanorError)) throw error;
    console.log(`${label}\n  -> ${error.name} [${error.code}]: ${error.message}`);
    return;
  }
  throw new Error(`${label}: expected an error, none was thrown`);
}

// ---- data -------------------------------------------------------------------------------------

async function seedData(): Promise<void> {
  await Base.metadata.createAll(engine);
  const daysAgo = (n: number) => new Date(Date.now() - n * 86_400_000);
  await AsyncSessionLocal.begin(async (session) => {
    const widget = new Product({ name: "widget", price: "9.99" });
    const gadget = new Product({ name: "gadget", price: "24.50" });
    const gizmo = new Product({ name: "gizmo", price: "3.25" });
    session.addAll([
      new User({
        email: "ada@example.com",
        tenantId: 1,
        orders: [
          new Order({ total: 34.49, createdAt: daysAgo(2), products: [widget, gadget] }),
          new Order({ total: 3.25, createdAt: daysAgo(45), products: [gizmo] }),
        ],
        invoice: new Invoice({ amount: 37.74 }),
      }),
      new User({
        email: "grace@example.com",
        tenantId: 1,
        orders: [new Order({ total: 9.99, createdAt: daysAgo(10), products: [widget] })],
      }),
      new User({
        email: "linus@example.org",
        tenantId: 2,
        orders: [new Order({ total: 49.0, createdAt: daysAgo(90), products: [gadget, gizmo] })],
        invoice: new Invoice({ amount: 49.0 }),
      }),
    ]);
  });
}

// ---- Quick Answer: before ---------------------------------------------------------------------

/** The seed's bad_get_users_with_orders: no loader option, so `user.orders` is not loaded. */
async function badGetUsersWithOrders(): Promise<void> {
  await using session = AsyncSessionLocal();
  const result = await session.execute(select(User));
  const users = result.scalars().all();
  for (const user of users) {
    // SQLAlchemy raises MissingGreenlet here; Athanor raises NotLoadedError (no hidden query).
    console.log(user.orders);
  }
}

// ---- Quick Answer: after ----------------------------------------------------------------------

async function getUsersWithOrders(session: Session): Promise<Loaded<User, "orders">[]> {
  // selectinload: one extra SELECT ... WHERE orders.user_id = ANY($1);
  // safe for one-to-many collections, no row multiplication.
  const stmt = select(User).options(selectinload(User.orders));
  const result = await session.execute(stmt);
  return result.scalars().all();
}

async function getUsersWithInvoice(session: Session): Promise<Loaded<User, "invoice">[]> {
  // joinedload: LEFT OUTER JOIN, single round-trip; safe for many-to-one / one-to-one (Base.one).
  // .unique() collapses any duplicated parent rows.
  const stmt = select(User).options(joinedload(User.invoice));
  const result = await session.execute(stmt);
  return result.scalars().unique().all();
}

async function quickAnswerMain(): Promise<void> {
  await using session = AsyncSessionLocal();
  const users = await getUsersWithOrders(session);
  for (const u of users) console.log(u.email, u.orders.map((o) => o.total));
  const usersWithInvoices = await getUsersWithInvoice(session);
  for (const u of usersWithInvoices) console.log(u.email, u.invoice);
}

// ---- Async variant with dependency injection --------------------------------------------------

/**
 * The seed's `get_session` dependency: yields a session and closes it when the consumer is done
 * (`await using` disposes it when the generator finishes or is returned early).
 */
async function* getSession(): AsyncGenerator<Session, void, undefined> {
  await using session = AsyncSessionLocal();
  yield session;
}

/** What a framework does with such a dependency: take one session, run the handler, clean up. */
async function withSession<T>(handler: (session: Session) => Promise<T>): Promise<T> {
  for await (const session of getSession()) return await handler(session);
  throw new Error("getSession() yielded no session");
}

/** Load all users for a tenant with their orders and each order's products. */
async function loadOrdersForTenant(tenantId: number, session: Session): Promise<Loaded<User, "orders.products">[]> {
  // Chained selectinload for a three-level graph: User -> orders -> products (three queries).
  const stmt = select(User)
    .where(User.tenantId.eq(tenantId))
    .options(selectinload(User.orders).selectinload(Order.products));
  const result = await session.execute(stmt);
  return result.scalars().all();
}

// ---- contains_eager with an explicit JOIN -----------------------------------------------------

/**
 * Load users and only their orders placed in the last 30 days. A plain joinedload cannot filter
 * the JOIN condition; containsEager can.
 */
async function getUsersWithRecentOrders(session: Session): Promise<Loaded<User, "orders">[]> {
  const cutoff = new Date(Date.now() - 30 * 86_400_000);
  const stmt = select(User)
    .join(User.orders)
    .where(Order.createdAt.ge(cutoff))
    .options(containsEager(User.orders))
    .orderBy(User.id, Order.createdAt.desc());
  const result = await session.execute(stmt);
  // .unique() required: the explicit JOIN inflates rows just like joinedload.
  return result.scalars().unique().all();
}

// ---- raiseload --------------------------------------------------------------------------------

/** With the lazy: "raise" models (./raise-models.ts), the query opts in to what it needs. */
async function getStrictUsersWithOrders(session: Session): Promise<Loaded<StrictUser, "orders">[]> {
  return (await session.scalars(select(StrictUser).options(selectinload(StrictUser.orders)))).all();
}

async function getUsersOrdersOnly(session: Session): Promise<Loaded<User, "orders">[]> {
  const stmt = select(User).options(
    selectinload(User.orders), // explicitly loaded: fine
    raiseload("*"), // everything else raises on access
  );
  const result = await session.execute(stmt);
  return result.scalars().all();
}

// ---- run everything ---------------------------------------------------------------------------

async function main(): Promise<void> {
  await seedData();

  heading("Before: implicit lazy loading (bad_get_users_with_orders)");
  await expectError("print(user.orders) without a loader option", badGetUsersWithOrders);

  heading("After: selectinload and joinedload (main)");
  await quickAnswerMain();

  heading("Dependency injection: getSession() + loadOrdersForTenant(1)");
  const tenantUsers = await withSession((session) => loadOrdersForTenant(1, session));
  for (const u of tenantUsers) {
    console.log(u.email, u.orders.map((o) => ({ total: o.total, products: o.products.map((p) => p.name) })));
  }

  heading("containsEager with an explicit JOIN (getUsersWithRecentOrders)");
  await withSession(async (session) => {
    for (const u of await getUsersWithRecentOrders(session)) {
      console.log(u.email, u.orders.map((o) => `${o.total} on ${o.createdAt.toISOString().slice(0, 10)}`));
    }
  });

  heading('raiseload: models declared with lazy: "raise"');
  await withSession(async (session) => {
    const users = await getStrictUsersWithOrders(session);
    for (const u of users) console.log(u.email, u.orders.map((o) => o.total));
    await expectError("strictUser.invoice (not loaded, lazy: \"raise\")", () => users[0]!.invoice);
  });

  heading('raiseload("*") as a query option (getUsersOrdersOnly)');
  await withSession(async (session) => {
    const users = await getUsersOrdersOnly(session);
    for (const u of users) console.log(u.email, u.orders.length, "orders");
    await expectError("user.invoice under raiseload(\"*\")", () => users[0]!.invoice);
  });

  heading("Resolving warnings, errors and common mistakes (the seed's table, row by row)");

  // Row 1: MissingGreenlet -> NotLoadedError. Fix: add selectinload/joinedload via options().
  await withSession(async (session) => {
    const [user] = (await session.scalars(select(User).limit(1))).all();
    await expectError("1. MissingGreenlet -> NotLoadedError: user.orders with no loader option", () => user!.orders);
    // The fix: selectinload(User.orders) in the query, or the explicit async load (batched for a list).
    const loaded = await session.load(user!, "orders");
    console.log(`   fix: selectinload(User.orders), or await session.load(user, "orders") -> ${loaded.orders.length} orders`);
  });

  // Row 2: lazy='raise' -> LazyLoadError. Fix: add the loader; keep lazy: "raise".
  await withSession(async (session) => {
    const [user] = (await session.scalars(select(StrictUser).limit(1))).all();
    await expectError("2. InvalidRequestError (lazy='raise') -> LazyLoadError: strictUser.orders", () => user!.orders);
  });

  // Row 3: DetachedInstanceError. Objects used after their session closed.
  const ExpiringSession = sessionmaker(engine); // expireOnCommit defaults to true, as in SQLAlchemy
  let expired: User | undefined;
  {
    await using session = ExpiringSession();
    expired = (await session.scalars(select(User).limit(1))).all()[0];
    await session.commit(); // expires every attribute...
  } // ...and closing detaches the object, so nothing can refresh it
  await expectError("3a. DetachedInstanceError: user.email after commit (expireOnCommit) and close", () => expired!.email);
  let detached: User | undefined;
  {
    await using session = AsyncSessionLocal(); // expireOnCommit: false
    detached = (await session.scalars(select(User).limit(1))).all()[0];
  }
  console.log(`   fix: expireOnCommit: false keeps columns readable after close: ${detached!.email}`);
  await expectError("3b. DetachedInstanceError: user.orders (never loaded) after close", () => detached!.orders);

  // Row 4: cartesian product. A table in WHERE that nothing joins: every user times every order.
  const warnings: string[] = [];
  const previousSink = setWarningSink((message, code) => warnings.push(`AthanorWarning [${code}]: ${message}`));
  try {
    await withSession((session) => session.scalars(select(User).where(Order.total.gt(40))));
  } finally {
    setWarningSink(previousSink);
  }
  console.log(`4. select(User).where(Order.total.gt(40)) with no join\n  -> ${warnings.join("\n  -> ") || "(no warning)"}`);
  const fixed = await withSession(async (session) =>
    (await session.scalars(select(User).join(User.orders).where(Order.total.gt(40)).options(containsEager(User.orders)))).unique().all());
  console.log(`   fix: join(User.orders) + containsEager(User.orders) -> ${fixed.map((u) => u.email).join(", ")}`);

  // Row 5: joinedload on a one-to-many without .unique(): SQLAlchemy warns; Athanor refuses.
  await withSession(async (session) => {
    const result = await session.execute(select(User).options(joinedload(User.orders)));
    await expectError("5. joinedload(User.orders) then scalars().all() without unique()", () => result.scalars().all());
    console.log(`   fix: result.scalars().unique().all() -> ${result.scalars().unique().all().length} users`);
  });
}

// ---- FAQ ----------------------------------------------------------------------------------------

async function faq(): Promise<void> {
  heading("FAQ: selectinload and joinedload in the same query (Order -> user, Order -> products)");
  await withSession(async (session) => {
    const orders = (await session.scalars(
      select(Order).orderBy(Order.id).options(joinedload(Order.user), selectinload(Order.products)),
    )).all();
    for (const o of orders) console.log(`order ${o.id} by ${o.user!.email}: ${o.products.map((p) => p.name).join(", ")}`);
  });

  heading("FAQ: selectinload with LIMIT/OFFSET loads children of exactly the page's parents");
  await withSession(async (session) => {
    const page = (await session.scalars(
      select(User).orderBy(User.id).limit(2).offset(1).options(selectinload(User.orders)),
    )).all();
    for (const u of page) console.log(u.email, u.orders.map((o) => o.total));
  });
}

try {
  await main();
  await faq();
} finally {
  await engine.dispose();
}
