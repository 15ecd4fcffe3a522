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
import type { EntityBrand, NotLoaded, TableOf, LoadHint } from "./brand.js";
import type { CheckDotted } from "./paths.js";

export type { AliasOf, EntityBrand, LoadHint, NotLoaded, TableOf } from "./brand.js";

declare const LOADED: unique symbol;
/** Marks a node of a load spec as loaded (a defaultload() node passes through without it). */
export interface LoadedMark {
  readonly [LOADED]: true;
}

declare const UNLOADS: unique symbol;
/**
 * What raiseload()/noload() name at a spec node: not loaded, even when the model's `lazy` is
 * eager ("*": every eager default there). Kept apart from the loaded names, under one key, so a
 * spec without it costs nothing to check.
 */
export interface Unloads<Names extends string> {
  readonly [UNLOADS]: { readonly [K in Names]: true };
}

declare const QUERY_WIDE: unique symbol;
/** A bare raiseload("*") / noload("*"): no model-level eager default loads anywhere in the result. */
export interface QueryWide {
  readonly [QUERY_WIDE]: true;
}

/** `Under<["orders"], X>` -> `{ orders: X }`: a spec fragment at a path, marks left to the steps that set them. */
export type Under<Path extends readonly string[], X> = Path extends readonly [infer Head extends string, ...infer Rest extends readonly string[]]
  ? { readonly [K in Head]: Under<Rest, X> }
  : X;

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

type LoadedTarget<T, S> = T extends readonly (infer E)[] ? LoadedOnly<E, S>[] : T extends null ? null : LoadedOnly<T, S>;

/** The relationship names a spec marks as loaded (defaultload's pass-through nodes are not). */
type LoadedKeys<S> = { [K in keyof S]: S[K] extends LoadedMark ? K : never }[keyof S];

/**
 * `E` with the relationships in `S` loaded (recursively) and those it unloads typed `NotLoaded`.
 * Columns, getters and methods are kept.
 *
 * Two recursions: most queries load and never unload, and take LoadedOnly all the way down; a
 * spec with raiseload()/noload() in it (marked HasUnloads at its top) takes WithUnloads. The choice
 * is made once per result entity, by indexing an interface: its members are instantiated only
 * when read, where a conditional type with these two branches cost about 60% more instantiations
 * per query (bench/TYPECHECK.md).
 */
export type LoadedEntity<E, S> = Shapes<E, S>[typeof HAS_UNLOADS extends keyof S ? 1 : 0];

interface Shapes<E, S> {
  0: LoadedOnly<E, S>;
  1: WithUnloads<E, S, WideOf<S>>;
}

type LoadedOnly<E, S, L extends keyof E = LoadedKeys<S> & keyof E> = [L] extends [never]
  ? E
  // Omit & {...} keeps the hover short and named: `Omit<User, "orders"> & { orders: Order[] }`.
  : Omit<E, L> & { [K in L]: LoadedValue<E[K], S[K & keyof S]> };

// ---- the unloading recursion (raiseload, noload) ----------------------------------------------

declare const HAS_UNLOADS: unique symbol;
/** Put at the top of a spec by raiseload()/noload(): the result needs the unloading recursion. */
export interface HasUnloads {
  readonly [HAS_UNLOADS]: true;
}

type WideOf<S> = typeof QUERY_WIDE extends keyof S ? true : false;

/** Whether `V` is already a `NotLoaded` (or `NotLoaded | null`) rather than a loaded value. */
type IsNotLoaded<V> = Exclude<V, null> extends NotLoaded<infer T, string> ? (unknown extends T ? false : true) : false;

/** An eagerly typed relationship that a query left unloaded (raiseload over `lazy: "selectin"`). */
type Unload<V, K extends string> = IsNotLoaded<V> extends true ? V : NotLoaded<V, LoadHint<K>> | (null extends V ? null : never);

type EagerOf<E> = E extends EntityBrand<string, infer Eager> ? Eager : never;

type UnloadNames<S> = S extends Unloads<infer Names> ? Names : never;

/** What raiseload/noload name, and with "*" (here or query-wide, `W`) every eager default; what is loaded wins. */
type UnloadedKeys<E, S, W, L> = Exclude<(Exclude<UnloadNames<S>, "*"> | ("*" extends UnloadNames<S> ? EagerOf<E> : W extends true ? EagerOf<E> : never)) & keyof E, L>;

type WithUnloads<E, S, W, L extends keyof E = LoadedKeys<S> & keyof E, U extends keyof E = UnloadedKeys<E, S, W, L>> = [L | U] extends [never]
  ? E
  : Omit<E, L | U> & { [K in L | U]: K extends L ? UnloadingValue<E[K], S[K & keyof S], W> : Unload<E[K], K & string> };

type UnloadingValue<V, S, W> = V extends NotLoaded<infer T, string> ? (unknown extends T ? UnloadingTarget<V, S, W> : UnloadingTarget<T, S, W>) : UnloadingTarget<V, S, W>;

type UnloadingTarget<T, S, W> = T extends readonly (infer E)[] ? WithUnloads<E, S, W>[] : T extends null ? null : WithUnloads<T, S, W>;

/**
 * The type of an entity with the given relationships loaded, for function signatures:
 * `function total(user: Loaded<User, "orders">)`. Paths are dotted: `Loaded<User, "orders.products" | "invoice">`.
 */
export type Loaded<E, Paths extends string> = [PathErrors<E, Paths>] extends [never] ? LoadedEntity<E, PathSpec<Paths>> : InvalidLoadPath<PathErrors<E, Paths>>;

/** The messages for the paths that are not relationship paths of `E` (none when `E` is not an entity, e.g. generic). */
type PathErrors<E, Paths extends string> = [TableOf<E>] extends [never] ? never
  : Paths extends string ? Exclude<CheckDotted<E, Paths>, true> : never;

declare const INVALID: unique symbol;
/**
 * What `Loaded<User, "ordrs">` is: a type nothing is assignable to and nothing can be read from,
 * so the first use fails to compile and the message names the bad step.
 */
export interface InvalidLoadPath<Message extends string> {
  readonly [INVALID]: Message;
}

/** The part of per-entity specs (SpecOf in loading/options.ts) that applies to entities of table `T`. */
// An option for any table (a bare raiseload("*")) is an index signature, which indexing by a
// declared key does not see: it is read separately.
export type SpecFor<Specs, T extends string> = [T] extends [never] ? {}
  : (T extends keyof Specs ? Specs[T] : {}) & (string extends keyof Specs ? Specs[string & keyof Specs] : {});

/** An entity as options loaded it: the spec of its own table applied. */
export type LoadedBy<E, Specs> = LoadedEntity<E, SpecFor<Specs, TableOf<E>>>;

/** Applies per-entity specs to each entity of a result row (values and dates pass through). */
export type LoadRow<Row extends readonly unknown[], Specs> = {
  [I in keyof Row]: Row[I] extends Date | Uint8Array | string | number | bigint | boolean | null | undefined ? Row[I] : LoadedBy<Row[I], Specs>;
};
