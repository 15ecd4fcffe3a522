/**
 * What the type checker knows a query loaded. An entity class types each relationship as
 * `NotLoaded<...>`: using it (`user.orders.length`) does not compile, and the error names the
 * relationship and the loader options that load it. A query's result type replaces the
 * relationships its options load with their real types, nested along chained options:
 *
 * ```ts
 * const users = (await session.execute(
 *   select(User).options(selectinload(User.orders).selectinload(Order.products)),
 * )).scalars().all();
 * users[0].orders[0].products[0].name;   // compiles
 * users[0].invoice.amount;               // error: Property 'amount' does not exist on type
 *                                        // 'NotLoaded<Invoice | null, "invoice: add selectinload/joinedload/... to the query's options">'
 * ```
 *
 * Functions say what they need with `Loaded<User, "orders.products">`.
 */

/**
 * A relationship the query did not load. Empty on purpose: every loaded value is assignable to it
 * (a loaded `User` is still a `User`), and no member can be used on it. `T` is the type it has
 * once loaded.
 */
// eslint-disable-next-line @typescript-eslint/no-unused-vars
export interface NotLoaded<T, Hint extends string> {}

/** The hint shown in compiler errors for relationship `K`. */
export type LoadHint<K extends string> = `${K}: add selectinload/joinedload/... to the query's options, or await session.load()`;

declare const LOADED: unique symbol;
/** Marks a node of a load spec as loaded (a defaultload() node passes through without it). */
export interface LoadedMark {
  readonly [LOADED]: true;
}

/**
 * `["orders", "products"]` -> `{ orders: { products: {} & LoadedMark } & LoadedMark }`: a tree of
 * relationship names; keys named in `Through` (defaultload) are passed through, not loaded.
 */
export type Nest<Path extends readonly string[], Through extends string = never> = Path extends readonly [infer Head extends string, ...infer Rest extends readonly string[]]
  ? { readonly [K in Head]: Nest<Rest, Through> & ([Head] extends [Through] ? {} : LoadedMark) }
  : {};

type Split<P extends string> = P extends `${infer Head}.${infer Rest}` ? [Head, ...Split<Rest>] : [P];
type UnionToIntersection<U> = (U extends unknown ? (u: U) => void : never) extends (i: infer I) => void ? I : never;

/** `"orders.products" | "invoice"` -> `{ orders: { products: {} } } & { invoice: {} }`. */
export type PathSpec<P extends string> = [P] extends [never] ? {} : UnionToIntersection<P extends string ? Nest<Split<P>> : never>;

// NotLoaded is an empty interface, so an already-loaded value (an array, an entity) matches it too
// with T inferred as unknown: that case keeps the value's own type (loading a path twice).
type LoadedValue<V, S> = V extends NotLoaded<infer T, string> ? (unknown extends T ? LoadedTarget<V, S> : LoadedTarget<T, S>) : LoadedTarget<V, S>;

type LoadedTarget<T, S> = T extends readonly (infer E)[] ? LoadedEntity<E, S>[] : T extends null ? null : LoadedEntity<T, S>;

/** `E` with the relationships in `S` loaded (recursively). Columns, getters and methods are kept. */
export type LoadedEntity<E, S> = [LoadedKeys<S> & keyof E] extends [never]
  ? E
  // Omit & {...} keeps the hover short and named: `Omit<User, "orders"> & { orders: Order[] }`.
  : Omit<E, LoadedKeys<S>> & { [K in LoadedKeys<S> & keyof E]: LoadedValue<E[K], S[K]> };

/** The relationship names a spec marks as loaded (defaultload's pass-through nodes are not). */
type LoadedKeys<S> = { [K in keyof S]: S[K] extends LoadedMark ? K : never }[keyof S];

/**
 * The type of an entity with the given relationships loaded, for function signatures:
 * `function total(user: Loaded<User, "orders">)`. Paths are dotted: `Loaded<User, "orders.products" | "invoice">`.
 */
export type Loaded<E, Paths extends string> = LoadedEntity<E, PathSpec<Paths>>;

/** Applies a spec to each entity of a result row (values and dates pass through). */
export type LoadRow<Row extends readonly unknown[], S> = {
  [I in keyof Row]: Row[I] extends Date | Uint8Array | string | number | bigint | boolean | null | undefined ? Row[I] : LoadedEntity<Row[I], S>;
};
