/**
 * Loader options only record (path, strategy, arguments); the strategies in ./strategies do the
 * work. `selectinload(User.orders).selectinload(Order.products)` is one chain of two steps.
 */
import { ArgumentError } from "../../core/errors.js";
import { describeValue } from "../../core/sql/expression.js";
import { isRelationshipAttribute, type RelationshipAttribute } from "../mapping/instrumented.js";
import type { Predicate } from "../../core/sql/expression.js";
import type { Mapper } from "../mapping/mapper.js";
import type { AliasOf, EntityBrand, HasUnloads, LoadedMark, QueryWide, TableOf, Unloads as UnloadsOf, Under } from "../typing/loaded.js";
import { entityOf, type MappedClass, type EntityStatics } from "../mapping/declarative.js";

export type StrategyKey =
  | "selectin" | "joined" | "subquery" | "immediate" | "contains_eager"
  | "raise" | "raise_on_sql" | "noload" | "default";

export interface StrategyArgs {
  /** joinedload: INNER JOIN instead of LEFT OUTER JOIN. */
  readonly innerjoin?: boolean;
  /** selectinload on a self-referential relationship: how many more levels to load (-1: until empty). */
  readonly recursionDepth?: number;
  /** raiseload: raise only when SQL would be needed (lazy="raise_on_sql"). */
  readonly sqlOnly?: boolean;
}

/** withLoaderCriteria(): a condition on every load of one entity (SQLAlchemy's with_loader_criteria). */
export interface EntityCriteria {
  readonly mapper: Mapper;
  readonly where: Predicate;
}

export interface LoadStep {
  /** A relationship, or "*" for every relationship at this point of the path. */
  readonly attribute: RelationshipAttribute | "*";
  readonly strategy: StrategyKey;
  readonly args: StrategyArgs;
}

/**
 * A relationship attribute of table `O`, leading to `T`. The step methods take `O extends At`, the
 * table the chain has reached (any table at its start), so
 * `selectinload(User.orders).selectinload(User.invoice)` does not compile ("Type '"users"' is not
 * assignable to type '"orders"'").
 */
type Step<O extends string, T, K extends string> = RelationshipAttribute<EntityBrand<O, string>, T, boolean, K>;

/** The root a chain gets from its first step: load(User) keeps its entity; a bare chain takes the step's owner. */
type RootAfter<Path extends readonly string[], Root extends string, O extends string> = Path extends readonly [] ? (string extends Root ? O : Root) : Root;

/** A step that loads `K` at the end of `Path`, continuing at `T`'s table. */
type Then<Spec, Path extends readonly string[], K extends string, T, O extends string, Through extends string, Root extends string> =
  Load<Spec & Under<Path, { readonly [P in K]: LoadedMark }>, [...Path, K], Through, TableOf<T>, RootAfter<Path, Root, O>>;

/**
 * raiseload/noload of `K`: it stays unloaded (eager model default or not), and the chain goes on
 * at its target, as the path does at run time (path-options.ts).
 */
type Unloads<Spec, Path extends readonly string[], K extends string, T, Through extends string, Root extends string, O extends string> =
  Load<Spec & Under<Path, UnloadsOf<K>> & HasUnloads, [...Path, K], Through | K, TableOf<T>, RootAfter<Path, Root, O>>;

/**
 * raiseload("*") / noload("*"): every eager default at this point stays unloaded (a bare one at
 * the start: query-wide). Nothing can follow "*" (SQLAlchemy: "Wildcard token cannot be followed
 * by another entity"), so the chain reaches no table (`At` is never).
 */
type UnloadsAll<Spec, Path extends readonly string[], Through extends string, Root extends string> =
  Path extends readonly [] ? string extends Root ? Load<Spec & QueryWide & HasUnloads, Path, Through, never, Root>
  : Load<Spec & UnloadsOf<"*"> & HasUnloads, Path, Through, never, Root> : Load<Spec & Under<Path, UnloadsOf<"*">> & HasUnloads, Path, Through, never, Root>;

/**
 * A chain of loader steps from the queried entity. Immutable, like statements. For the result's
 * type: `Spec` is what the chain loads, `Path` where the chain is, `At` the table it has reached
 * (what the next step must start from) and `Root` the queried entity it applies to ("string": any).
 */
export class Load<Spec = {}, Path extends readonly string[] = [], Through extends string = never, At extends string = string, Root extends string = string> {
  declare readonly __spec?: Spec;
  declare readonly __path?: Path;
  declare readonly __through?: Through;
  declare readonly __at?: At;
  declare readonly __root?: Root;
  constructor(
    readonly steps: readonly LoadStep[],
    /** withLoaderCriteria: a condition on every load of one entity in the statement. */
    readonly entityCriteria?: EntityCriteria,
    /** Set by `load(User)`: the chain applies to this queried entity only ("*" then covers only it). */
    readonly root?: Mapper,
  ) {}

  // The type arguments of the result are the callers' (the typed methods below): at run time a
  // Load is only its steps.
  private then<L>(attribute: unknown, strategy: StrategyKey, args: StrategyArgs = {}): L {
    if (this.root !== undefined && this.steps.length === 0 && attribute !== "*" && isRelationshipAttribute(attribute) && attribute.parent.mapper !== this.root) {
      throw new ArgumentError(`load(${this.root.name}) cannot start with ${attribute.description}: start with a relationship of ${this.root.name}.`);
    }
    return new Load([...this.steps, checkStep(attribute, strategy, args, this.steps)], undefined, this.root) as L;
  }

  selectinload<O extends At, T, K extends string>(attr: Step<O, T, K>, args?: Pick<StrategyArgs, "recursionDepth">): Then<Spec, Path, K, T, O, Through, Root> {
    return this.then(attr, "selectin", args);
  }
  joinedload<O extends At, T, K extends string>(attr: Step<O, T, K>, args?: Pick<StrategyArgs, "innerjoin">): Then<Spec, Path, K, T, O, Through, Root> {
    return this.then(attr, "joined", args);
  }
  subqueryload<O extends At, T, K extends string>(attr: Step<O, T, K>): Then<Spec, Path, K, T, O, Through, Root> {
    return this.then(attr, "subquery");
  }
  immediateload<O extends At, T, K extends string>(attr: Step<O, T, K>): Then<Spec, Path, K, T, O, Through, Root> {
    return this.then(attr, "immediate");
  }
  containsEager<O extends At, T, K extends string>(attr: Step<O, T, K>): Then<Spec, Path, K, T, O, Through, Root> {
    return this.then(attr, "contains_eager");
  }
  /** The relationship stays unloaded (and raises on access): the type says not loaded, eager model default or not. */
  raiseload<O extends At, T, K extends string>(attr: Step<O, T, K>, args?: Pick<StrategyArgs, "sqlOnly">): Unloads<Spec, Path, K, T, Through, Root, O>;
  raiseload(attr: Wildcard<At>, args?: Pick<StrategyArgs, "sqlOnly">): UnloadsAll<Spec, Path, Through, Root>;
  // `string`: the wildcard overload's parameter is a message once the chain ended in "*".
  raiseload(attr: Attr | string, args?: Pick<StrategyArgs, "sqlOnly">): AnyLoad {
    return this.then(attr, args?.sqlOnly ? "raise_on_sql" : "raise", args);
  }
  /** The relationship reads as empty and never loads; typed not loaded, like raiseload. */
  noload<O extends At, T, K extends string>(attr: Step<O, T, K>): Unloads<Spec, Path, K, T, Through, Root, O>;
  noload(attr: Wildcard<At>): UnloadsAll<Spec, Path, Through, Root>;
  noload(attr: Attr | string): AnyLoad {
    return this.then(attr, "noload");
  }
  /** Go through a relationship without changing how it loads, to set options further down. */
  defaultload<O extends At, T, K extends string>(attr: Step<O, T, K>): Load<Spec, [...Path, K], Through | K, TableOf<T>, RootAfter<Path, Root, O>> {
    return this.then(attr, "default");
  }
}

type Attr = RelationshipAttribute<unknown, unknown, boolean, string>;

/** `"*"`, unless the chain already ended in "*" (`At` is never there): then a message, so the call does not compile. */
type Wildcard<At extends string> = [At] extends [never] ? "nothing can follow raiseload(\"*\") or noload(\"*\") in a chain" : "*";

/**
 * Any loader option, whatever it loads. Its spec is `unknown`, not `any`: options typed only as
 * `AnyLoad` (an `AnyLoad[]` built at run time) load nothing as far as the result type knows.
 */
export type AnyLoad = Load<unknown, readonly string[], string, string, string>;

/** The spec of one option, keyed by the table of the queried entity it applies to (any table for "string"). */
type RootedSpec<X> = X extends Load<infer S, readonly string[], string, string, infer R> ? { readonly [T in R]: S } : {};

/** What several options load, per queried entity: `SpecFor<SpecOf<L>, "users">` (typing/loaded.ts). */
export type SpecOf<L extends readonly AnyLoad[]> = L extends readonly [infer First, ...infer Rest extends readonly AnyLoad[]]
  ? RootedSpec<First> & SpecOf<Rest>
  : L extends readonly [] ? {} : RootedSpec<L[number]>;

function checkStep(attribute: unknown, strategy: StrategyKey, args: StrategyArgs, previous: readonly LoadStep[]): LoadStep {
  const last = previous[previous.length - 1];
  // The path tree stops at "*" (path-options.ts): a step after it would be dropped without a word.
  if (last !== undefined && last.attribute === "*") {
    throw new ArgumentError(
      `${strategyName(strategy)}() cannot follow ${strategyName(last.strategy)}("*"): "*" ends a chain. ` +
        `Pass it as a separate option: options(${strategyName(last.strategy)}("*"), ${strategyName(strategy)}(...)).`,
    );
  }
  const lastAttribute = last?.attribute as RelationshipAttribute | undefined;
  if (attribute === "*") {
    if (strategy !== "raise" && strategy !== "raise_on_sql" && strategy !== "noload") {
      throw new ArgumentError(`"*" is accepted by raiseload() and noload() only.`);
    }
    return { attribute, strategy, args };
  }
  if (!isRelationshipAttribute(attribute)) {
    throw new ArgumentError(
      `${strategyName(strategy)}() expects a relationship attribute such as User.orders, got ${describeValue(attribute)}.` +
        (typeof attribute === "string" ? " Pass the class attribute (User.orders), not its name." : ""),
    );
  }
  if (lastAttribute !== undefined) {
    const expected = lastAttribute.property.target;
    if (attribute.parent.mapper !== expected) {
      throw new ArgumentError(
        `${strategyName(strategy)}(${attribute.description}) cannot follow ${lastAttribute.description}: that path reaches ` +
          `${expected.name}, so the next step must be one of ${expected.name}'s relationships.`,
      );
    }
  }
  return { attribute, strategy, args };
}

function strategyName(strategy: StrategyKey): string {
  const names: Record<StrategyKey, string> = {
    selectin: "selectinload", joined: "joinedload", subquery: "subqueryload", immediate: "immediateload",
    contains_eager: "containsEager", raise: "raiseload", raise_on_sql: "raiseload", noload: "noload", default: "defaultload",
  };
  return names[strategy];
}

const root = new Load([]);

/** One batch query per level: `SELECT ... WHERE orders.user_id = ANY($1)`. Best for collections. */
export const selectinload = <O extends string, T, K extends string>(attr: Step<O, T, K>, args?: Pick<StrategyArgs, "recursionDepth">) => root.selectinload(attr, args);
/** LEFT OUTER JOIN in the same query. Best for many-to-one / one-to-one; collections need `.unique()`. */
export const joinedload = <O extends string, T, K extends string>(attr: Step<O, T, K>, args?: Pick<StrategyArgs, "innerjoin">) => root.joinedload(attr, args);
/** Re-runs the parent query as a subquery joined to the children. */
export const subqueryload = <O extends string, T, K extends string>(attr: Step<O, T, K>) => root.subqueryload(attr);
/** One query per parent object, right after the parents load. */
export const immediateload = <O extends string, T, K extends string>(attr: Step<O, T, K>) => root.immediateload(attr);
/** Fill the relationship from a join the statement already has (filtered, ordered, aliased). */
export const containsEager = <O extends string, T, K extends string>(attr: Step<O, T, K>) => root.containsEager(attr);
/** Reading the relationship (or, with "*", every relationship not otherwise loaded) raises. */
export function raiseload<O extends string, T, K extends string>(attr: Step<O, T, K>, args?: Pick<StrategyArgs, "sqlOnly">): Unloads<{}, [], K, T, never, string, O>;
export function raiseload(attr: "*", args?: Pick<StrategyArgs, "sqlOnly">): Load<QueryWide & HasUnloads, [], never, never>;
export function raiseload(attr: Attr | "*", args?: Pick<StrategyArgs, "sqlOnly">): AnyLoad {
  return root.raiseload(attr as "*", args);
}
/** The relationship (or, with "*", every relationship not otherwise loaded) reads as empty and never loads. */
export function noload<O extends string, T, K extends string>(attr: Step<O, T, K>): Unloads<{}, [], K, T, never, string, O>;
export function noload(attr: "*"): Load<QueryWide & HasUnloads, [], never, never>;
export function noload(attr: Attr | "*"): AnyLoad {
  return root.noload(attr as "*");
}
export const defaultload = <O extends string, T, K extends string>(attr: Step<O, T, K>) => root.defaultload(attr);

/**
 * Adds `where` to every load of `entity` that the statement makes (SQLAlchemy's
 * with_loader_criteria): its rows when the statement selects it (WHERE), the statement's own joins
 * to it (ON, also to an alias), joined eager loads (ON, against the join's alias) and each
 * selectin / subquery / immediate load that reaches it; and later `session.load()` / `refresh()`
 * of the objects the statement loaded. `withLoaderCriteria(Order, Order.total.gt(100))`.
 */
export function withLoaderCriteria(entity: MappedClass | EntityStatics, where: Predicate): Load {
  const { mapper } = entityOf(entity, "withLoaderCriteria()");
  return new Load([], { mapper, where });
}

/**
 * A chain rooted at one queried entity (SQLAlchemy's `Load(User)`): `load(User).raiseload("*")`
 * makes every unloaded relationship of the User objects raise, but not those of objects the
 * query's other loaders reach (a bare `raiseload("*")` covers those too).
 */
export function load<E extends object>(entity: MappedClass<E> | AliasOf<E> | EntityStatics): Load<{}, [], never, TableOrAny<E>, TableOrAny<E>> {
  const { mapper } = entityOf(entity, "load()");
  return new Load([], undefined, mapper);
}

/** A value typed only as `EntityStatics` has no instance type to read the table from: its chain is checked at run time only. */
type TableOrAny<E> = [TableOf<E>] extends [never] ? string : TableOf<E>;
