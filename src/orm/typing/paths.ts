/**
 * Checking `session.load()` paths at compile time: `session.load(users, "orders.products")`
 * compiles, `session.load(users, "ordrs")` does not, and the message names the step that is not a
 * relationship. Relationship attributes and chains of them (`[User.orders, Order.products]`) are
 * checked against the entity they must start from.
 */
import type { RelationshipAttribute } from "../mapping/instrumented.js";
import type { EntityBrand, NotLoaded, TableOf } from "./brand.js";

type Elem<V> = V extends readonly (infer X)[] ? X : Exclude<V, null>;

/** The entity a relationship member leads to (a collection's element), loaded or not. */
type TargetEntity<V> = Elem<V extends NotLoaded<infer T, string> ? (unknown extends T ? V : T) : V>;

/** The names of an entity type's relationships: the members whose value leads to an entity. */
export type RelationshipNames<E> = { [K in keyof E & string]: [TableOf<TargetEntity<E[K]>>] extends [never] ? never : K }[keyof E & string];

type NotARelationship<E, Step extends string> = `"${Step}" is not a relationship of ${TableOf<E>}`;

/** `true` when dotted path `P` walks relationships from `E`, else a message naming the bad step. */
export type CheckDotted<E, P extends string> = P extends `${infer Head}.${infer Rest}`
  ? Head extends RelationshipNames<E> ? CheckDotted<TargetEntity<E[Head & keyof E]>, Rest> : NotARelationship<E, Head>
  : P extends RelationshipNames<E> ? true : NotARelationship<E, P>;

type OwnerTable<A> = A extends RelationshipAttribute<EntityBrand<infer O extends string, string>, unknown, boolean, string> ? O : never;
type AttributeTarget<A> = A extends RelationshipAttribute<unknown, infer T, boolean, string> ? T : never;

type AttributeKey<A> = A extends RelationshipAttribute<unknown, unknown, boolean, infer K> ? K : never;

type CheckChain<Table extends string, Chain extends readonly unknown[]> = Chain extends readonly [infer First, ...infer Rest]
  ? [Table] extends [OwnerTable<First>] ? CheckChain<TableOf<AttributeTarget<First>>, Rest>
    : `${AttributeKey<First>} is a relationship of ${OwnerTable<First>}, but the path is at ${Table} here`
  : true;

type CheckPath<E, P> = P extends string ? CheckDotted<E, P>
  : P extends readonly unknown[] ? CheckChain<TableOf<E>, P>
  : CheckChain<TableOf<E>, [P]>;

/** `session.load()`'s path arguments with each invalid one replaced by the reason, so the call does not compile. */
export type ValidPaths<E, P extends readonly unknown[]> = { [I in keyof P]: CheckPath<E, P[I]> extends true ? P[I] : CheckPath<E, P[I]> };

/** The dotted path a `session.load()` argument stands for. */
export type PathOf<X> = X extends string ? X
  : X extends readonly unknown[] ? JoinKeys<X>
  : AttributeKey<X>;

type JoinKeys<Chain extends readonly unknown[]> = Chain extends readonly [RelationshipAttribute<unknown, unknown, boolean, infer K>, ...infer Rest]
  ? Rest extends readonly [] ? K : `${K}.${JoinKeys<Rest>}`
  : never;

/** The entity type of `session.load()`'s first argument (an object or an array of them). */
export type ElementOf<T> = T extends readonly (infer E)[] ? E : T;
