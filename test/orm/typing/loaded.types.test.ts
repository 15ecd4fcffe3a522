/**
 * Type tests for "the type checker knows what a query loaded" (src/orm/typing/loaded.ts). They are
 * checked by `tsc --noEmit` in `npm test`: each `@ts-expect-error` fails the build if the line
 * compiles, each positive line fails it if it does not. Nothing here touches a database; the
 * vitest case only keeps the file a valid test file.
 */
import { describe, expect, it } from "vitest";
import {
  column, containsEager, declarativeBase, defaultload, immediateload, joinedload, load, noload, raiseload, select, selectinload,
  subqueryload, type Loaded, type NotLoaded, type Session,
} from "../../../src/index.js";
import { Invoice, Order, User, type Product } from "../../fixtures/models.js";

type Equal<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
function expectType<T extends true>(_: T = true as T): void {}

// A model whose default `lazy` loads eagerly: typed as loaded without options.
interface EagerModels { Author: Author; Book: Book }
const EagerBase = declarativeBase<EagerModels>();
class Author extends EagerBase.entity("authors", {
  id: column.integer().primaryKey(),
  books: EagerBase.many("Book", { lazy: "selectin", backPopulates: "author" }),
}) {}
class Book extends EagerBase.entity("books", {
  id: column.integer().primaryKey(),
  authorId: column.integer().references("authors.id"),
  author: EagerBase.one("Author", { backPopulates: "books" }),
}) {}
EagerBase.register({ Author, Book });

// Foreign keys decide whether a many-to-one can be null.
interface PetModels { Person: Person; Pet: Pet; Transfer: Transfer; Visit: Visit }
const PetBase = declarativeBase<PetModels>();
class Person extends PetBase.entity("people", {
  id: column.integer().primaryKey(),
  pets: PetBase.many("Pet", { backPopulates: "owner" }),
}) {}
class Pet extends PetBase.entity("pets", {
  id: column.integer().primaryKey(),
  ownerId: column.integer().references("people.id").nullable(),
  owner: PetBase.one("Person", { backPopulates: "pets" }),
}) {}
class Transfer extends PetBase.entity("transfers", {
  id: column.integer().primaryKey(),
  fromId: column.integer().references("people.id"),
  toId: column.integer().references("people.id").nullable(),
  from: PetBase.one("Person", { foreignKey: "from_id" }),
  to: PetBase.one("Person", { foreignKey: "to_id" }),
}) {}
class Visit extends PetBase.entity("visits", {
  id: column.integer().primaryKey(),
  note: column.text().nullable(),
  petId: column.integer().references("pets.id"),
  pet: PetBase.one("Pet"),
}) {}
PetBase.register({ Person, Pet, Transfer, Visit });

// Self-referential eager defaults load only with joinDepth (SQLAlchemy's rule).
interface TreeModels { Category: Category; Folder: Folder }
const TreeBase = declarativeBase<TreeModels>();
class Category extends TreeBase.entity("categories", {
  id: column.integer().primaryKey(),
  parentId: column.integer().references("categories.id").nullable(),
  children: TreeBase.many("Category", { lazy: "selectin" }),
}) {}
class Folder extends TreeBase.entity("folders", {
  id: column.integer().primaryKey(),
  parentId: column.integer().references("folders.id").nullable(),
  children: TreeBase.many("Folder", { lazy: "selectin", joinDepth: 2 }),
}) {}
TreeBase.register({ Category, Folder });

async function checks(session: Session): Promise<void> {
  // Not loaded: using the relationship does not compile, and the message names the fix.
  const plain = (await session.execute(select(User))).scalars().all();
  // @ts-expect-error orders was not loaded by this query
  plain[0]!.orders.length;
  // @ts-expect-error invoice was not loaded by this query
  plain[0]!.invoice?.amount;
  const email: string = plain[0]!.email;
  const domain: string = plain[0]!.domain;
  void email; void domain;

  // Chained selectinload: two levels loaded, the rest not.
  const deep = (await session.execute(select(User).options(selectinload(User.orders).selectinload(Order.products)))).scalars().all();
  const name: string = deep[0]!.orders[0]!.products[0]!.name;
  void name;
  // @ts-expect-error Order.user was not loaded
  deep[0]!.orders[0]!.user?.email;
  // @ts-expect-error User.invoice was not loaded
  deep[0]!.invoice?.amount;

  // Each strategy marks its relationship loaded; mixed options add up.
  const mixed = (await session.execute(select(Order).options(joinedload(Order.user), selectinload(Order.products)))).scalars().unique().all();
  const userEmail: string | undefined = mixed[0]!.user?.email;
  const count: number = mixed[0]!.products.length;
  void userEmail; void count;
  const sub = (await session.execute(select(User).options(subqueryload(User.orders), immediateload(User.invoice)))).scalars().all();
  const amount: number | undefined = sub[0]!.invoice?.amount;
  const totals: number[] = sub[0]!.orders.map((o) => o.total);
  void amount; void totals;
  const eager = (await session.execute(select(User).join(User.orders).options(containsEager(User.orders)))).scalars().unique().all();
  eager[0]!.orders.length;

  // defaultload passes through without loading; raiseload leaves it unloaded.
  const through = (await session.execute(select(User).options(defaultload(User.orders).selectinload(Order.products)))).scalars().all();
  // @ts-expect-error defaultload does not load User.orders
  through[0]!.orders.length;
  const raised = (await session.execute(select(User).options(selectinload(User.orders), raiseload("*")))).scalars().all();
  raised[0]!.orders.length;
  // @ts-expect-error raiseload("*") leaves invoice unloaded
  raised[0]!.invoice?.amount;

  // Single-object relationships are `T | null` for one-to-one and nullable foreign keys; collections arrays.
  const withInvoice = (await session.execute(select(User).options(joinedload(User.invoice)))).scalars().all();
  expectType<Equal<typeof withInvoice[number]["invoice"], Invoice | null>>();
  // @ts-expect-error possibly null
  withInvoice[0]!.invoice.amount;
  // A many-to-one over a NOT NULL foreign key (orders.user_id) is never null once loaded.
  const withUser = (await session.execute(select(Order).options(joinedload(Order.user)))).scalars().all();
  expectType<Equal<typeof withUser[number]["user"], User>>();
  const ownerEmail: string = withUser[0]!.user.email;
  void ownerEmail;
  // Invoice.user: invoices.user_id is NOT NULL (and unique): loaded, it is a User.
  const invoiceUser = await session.get(Invoice, 1, { options: [selectinload(Invoice.user)] });
  invoiceUser?.user.email;
  // pets.owner_id is nullable: the owner may be null.
  const pets = (await session.execute(select(Pet).options(selectinload(Pet.owner)))).scalars().all();
  expectType<Equal<typeof pets[number]["owner"], Person | null>>();
  // @ts-expect-error possibly null
  pets[0]!.owner.id;
  // Only foreign keys count: a nullable column that references nothing does not make Visit.pet nullable.
  expectType<Equal<Visit["pet"], NotLoaded<Pet, "pet: add selectinload/joinedload/... to the query's options, or await session.load()">>>();
  // Two foreign keys to the same table, one nullable: the types cannot tell them apart, so both may be null.
  const transfers = (await session.execute(select(Transfer).options(selectinload(Transfer.from), selectinload(Transfer.to)))).scalars().all();
  expectType<Equal<typeof transfers[number]["from"], Person | null>>();
  // Unloaded, a NOT NULL many-to-one is NotLoaded without `| null`; a nullable one keeps it.
  expectType<Equal<Order["user"], NotLoaded<User, "user: add selectinload/joinedload/... to the query's options, or await session.load()">>>();
  expectType<Equal<Pet["owner"], NotLoaded<Person | null, "owner: add selectinload/joinedload/... to the query's options, or await session.load()"> | null>>();
  // Insert: a NOT NULL relationship takes an object, not null.
  // @ts-expect-error user cannot be null
  new Order({ total: 1, user: null });
  new Pet({ owner: null });

  // Chained options are checked against the previous step's target.
  // @ts-expect-error User.invoice does not start at Order, where User.orders leads
  selectinload(User.orders).selectinload(User.invoice);
  // @ts-expect-error Order.user does not start at Product
  defaultload(User.orders).selectinload(Order.products).joinedload(Order.user);
  // @ts-expect-error load(User) chains start with a relationship of User
  load(User).selectinload(Order.products);
  selectinload(User.orders).joinedload(Order.user).selectinload(User.invoice);
  // raiseload/noload move the chain to their target, as the path does at run time.
  selectinload(User.orders).raiseload(Order.user).selectinload(User.invoice);
  // @ts-expect-error after raiseload(Order.user) the chain is at User, where Order.products does not start
  selectinload(User.orders).raiseload(Order.user).selectinload(Order.products);
  // @ts-expect-error raiseload in a chain is checked too
  selectinload(User.orders).raiseload(User.invoice);

  // A query's options apply to the entity they start from, not to every entity of a row.
  const pairs = (await session.execute(select(Order, Invoice).join(Invoice, Invoice.userId.eq(Order.userId)).options(joinedload(Order.user)))).all();
  pairs[0]![0].user.email;
  // @ts-expect-error Invoice.user has the same name but no option loaded it
  pairs[0]![1].user.email;

  // session.scalars() and session.scalar() carry the options' types too.
  const viaScalars = (await session.scalars(select(User).options(selectinload(User.orders)))).all();
  viaScalars[0]!.orders.length;
  // @ts-expect-error invoice was not loaded
  viaScalars[0]!.invoice?.amount;
  const one = await session.scalar(select(Order).options(joinedload(Order.user)));
  one?.user.email;

  // session.get and session.load carry what they loaded.
  const got = await session.get(User, 1, { options: [selectinload(User.orders)] });
  got?.orders.length;
  const bare = await session.get(User, 1);
  // @ts-expect-error get() without options loads no relationship
  bare?.orders.length;
  const loadedUsers = await session.load(plain, "orders.products");
  loadedUsers[0]!.orders[0]!.products.length;
  const oneUser = await session.load(plain[0]!, User.invoice);
  oneUser.invoice?.amount;
  const chained = await session.load(plain, [User.orders, Order.products]);
  chained[0]!.orders[0]!.products.length;
  // session.load() paths are checked: each step must be a relationship of where the path is.
  // @ts-expect-error "ordrs" is not a relationship of users
  await session.load(plain, "ordrs");
  // @ts-expect-error "prods" is not a relationship of orders
  await session.load(plain, "orders.prods");
  // @ts-expect-error Order.products does not start at User
  await session.load(plain, Order.products);
  // @ts-expect-error the chain reaches orders, where User.invoice does not start
  await session.load(plain, [User.orders, User.invoice]);
  await session.load(plain[0]!, "orders.user.invoice", User.invoice);

  // Functions say what they need; a less-loaded value does not satisfy them.
  function productNames(user: Loaded<User, "orders.products">): string[] {
    return user.orders.flatMap((o) => o.products.map((p: Product) => p.name));
  }
  productNames(deep[0]!);
  // @ts-expect-error products are not loaded on these users
  productNames(sub[0]!);
  // @ts-expect-error nothing is loaded
  productNames(plain[0]!);
  // A loaded user is still a User.
  const asUser: User = deep[0]!;
  void asUser;

  // Model-level eager defaults are typed as loaded.
  const authors = (await session.execute(select(Author))).scalars().all();
  authors[0]!.books.length;
  // @ts-expect-error Book.author has the default lazy ("select")
  authors[0]!.books[0]!.author?.id;
  const categories = (await session.execute(select(Category))).scalars().all();
  // @ts-expect-error without joinDepth a self-referential eager default does not load
  categories[0]!.children.length;
  const folders = (await session.execute(select(Folder))).scalars().all();
  folders[0]!.children.length;
  // An unknown path in Loaded<> gives a type nothing can be read from, naming the bad step.
  // @ts-expect-error "ordrs" is not a relationship of users
  ((u: Loaded<User, "ordrs">) => u.email);
  // raiseload and noload unload an eager default, by name or with "*".
  const raisedBooks = (await session.execute(select(Author).options(raiseload(Author.books)))).scalars().all();
  // @ts-expect-error raiseload(Author.books) overrides lazy: "selectin"
  raisedBooks[0]!.books.length;
  const noBooks = (await session.execute(select(Author).options(noload(Author.books)))).scalars().all();
  // @ts-expect-error noload(Author.books) overrides lazy: "selectin"
  noBooks[0]!.books.length;
  const starred = (await session.execute(select(Author).options(raiseload("*")))).scalars().all();
  // @ts-expect-error raiseload("*") overrides every eager default
  starred[0]!.books.length;
  const rooted = await session.get(Author, 1, { options: [load(Author).raiseload("*")] });
  // @ts-expect-error load(Author).raiseload("*") covers Author's own relationships
  rooted?.books.length;
  // A bare raiseload("*") reaches every level: Author.books under a loaded Book.author is unloaded too.
  const wide = (await session.execute(select(Book).options(selectinload(Book.author), raiseload("*")))).scalars().all();
  wide[0]!.author.id;
  // @ts-expect-error the query-wide raiseload("*") overrides Author's eager default
  wide[0]!.author.books.length;
  // Scoped to a path, "*" covers that level only.
  const scoped = (await session.execute(select(Book).options(selectinload(Book.author).raiseload("*")))).scalars().all();
  // @ts-expect-error raiseload("*") after Book.author covers Author's relationships
  scoped[0]!.author.books.length;
  // Loaded explicitly, an eager relationship stays loaded under "*".
  const explicit = (await session.execute(select(Author).options(selectinload(Author.books), raiseload("*")))).scalars().all();
  explicit[0]!.books.length;

  // Columns carry their types, with null where nullable; expressions are typed.
  const tenant: number | null = plain[0]!.tenantId;
  void tenant;
  // @ts-expect-error tenantId may be null
  const tenantNumber: number = plain[0]!.tenantId;
  void tenantNumber;
  // @ts-expect-error email is a string column
  User.email.eq(3);
  // @ts-expect-error total is a number column
  Order.total.gt("100");
  Order.total.gt(100);

  // Insert types: generated keys, defaults, nullable columns and foreign keys are optional.
  new Order({ total: 1 });
  // @ts-expect-error total is required
  new Order({ userId: 1 });
  // @ts-expect-error no such attribute
  new User({ email: "a@b.c", nickname: "x" });
}

type Hint = User["orders"] extends NotLoaded<Order[], infer H> ? H : never;
expectType<Equal<Hint, "orders: add selectinload/joinedload/... to the query's options, or await session.load()">>();

describe("typing", () => {
  it("is checked by tsc in npm test", () => {
    expect(typeof checks).toBe("function");
  });
});
