/**
 * Loader options only record (path, strategy, arguments); the strategies in ./strategies do the
 * work. `selectinload(User.orders).selectinload(Order.products)` is one chain of two steps.
 */
import { ArgumentError } from "../../core/errors.js";
import { describeValue } from "../../core/sql/expression.js";
import { isRelationshipAttribute, type RelationshipAttribute } from "../mapping/instrumented.js";
import type { Predicate } from "../../core/sql/expression.js";
import type { Mapper } from "../mapping/mapper.js";
import type { Nest } from "../typing/loaded.js";
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

export interface LoadStep {
  /** A relationship, or "*" for every relationship at this point of the path. */
  readonly attribute: RelationshipAttribute | "*";
  readonly strategy: StrategyKey;
  readonly args: StrategyArgs;
}

type Attr<K extends string = string> = RelationshipAttribute<unknown, unknown, boolean, K>;

/** A loading step at the end of `Path`: the spec gains the path (typing/loaded.ts). */
type Then<Spec, Path extends readonly string[], K extends string, Through extends string> =
  Load<Spec & Nest<[...Path, K], Through>, [...Path, K], Through>;

/**
 * A chain of loader steps from the queried entity. Immutable, like statements. `Spec` is what the
 * chain loads, for the result's type; `Path` is where the chain currently is.
 */
export class Load<Spec = {}, Path extends readonly string[] = [], Through extends string = never> {
  declare readonly __spec?: Spec;
  declare readonly __path?: Path;
  declare readonly __through?: Through;
  constructor(
    readonly steps: readonly LoadStep[],
    /** withLoaderCriteria: a condition on every load of one entity in the statement. */
    readonly entityCriteria?: { readonly mapper: Mapper; readonly where: Predicate },
    /** Set by `load(User)`: the chain applies to this queried entity only ("*" then covers only it). */
    readonly root?: Mapper,
  ) {}

  private then<S, P extends readonly string[], T extends string>(attribute: Attr | "*", strategy: StrategyKey, args: StrategyArgs = {}): Load<S, P, T> {
    if (this.root !== undefined && this.steps.length === 0 && attribute !== "*" && isRelationshipAttribute(attribute) && attribute.parent.mapper !== this.root) {
      throw new ArgumentError(`load(${this.root.name}) cannot start with ${attribute.description}: start with a relationship of ${this.root.name}.`);
    }
    return new Load<S, P, T>([...this.steps, checkStep(attribute, strategy, args, this.steps)], undefined, this.root);
  }

  selectinload<K extends string>(attr: Attr<K>, args?: Pick<StrategyArgs, "recursionDepth">): Then<Spec, Path, K, Through> { return this.then(attr, "selectin", args); }
  joinedload<K extends string>(attr: Attr<K>, args?: Pick<StrategyArgs, "innerjoin">): Then<Spec, Path, K, Through> { return this.then(attr, "joined", args); }
  subqueryload<K extends string>(attr: Attr<K>): Then<Spec, Path, K, Through> { return this.then(attr, "subquery"); }
  immediateload<K extends string>(attr: Attr<K>): Then<Spec, Path, K, Through> { return this.then(attr, "immediate"); }
  containsEager<K extends string>(attr: Attr<K>): Then<Spec, Path, K, Through> { return this.then(attr, "contains_eager"); }
  /** The relationship stays unloaded (and raises on access): the type says not loaded. */
  raiseload(attr: Attr | "*", args?: Pick<StrategyArgs, "sqlOnly">): Load<Spec, Path, Through> {
    return this.then(attr, args?.sqlOnly ? "raise_on_sql" : "raise", args);
  }
  noload(attr: Attr | "*"): Load<Spec, Path, Through> { return this.then(attr, "noload"); }
  /** Go through a relationship without changing how it loads, to set options further down. */
  defaultload<K extends string>(attr: Attr<K>): Load<Spec, [...Path, K], Through | K> { return this.then(attr, "default"); }
}

/** Any loader option, whatever it loads. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyLoad = Load<any, readonly string[], string>;

/** The intersection of the specs of several options. */
export type SpecOf<L extends readonly AnyLoad[]> = L extends readonly [infer First, ...infer Rest extends readonly AnyLoad[]]
  ? (First extends Load<infer S, readonly string[], string> ? S : {}) & SpecOf<Rest>
  : L extends readonly [] ? {} : L extends readonly Load<infer S, readonly string[], string>[] ? S : {};

function checkStep(attribute: unknown, strategy: StrategyKey, args: StrategyArgs, previous: readonly LoadStep[]): LoadStep {
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
  const last = previous[previous.length - 1];
  if (last !== undefined && last.attribute !== "*") {
    const expected = last.attribute.property.target;
    if (attribute.parent.mapper !== expected) {
      throw new ArgumentError(
        `${strategyName(strategy)}(${attribute.description}) cannot follow ${last.attribute.description}: that path reaches ` +
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
export const selectinload = <K extends string>(attr: Attr<K>, args?: Pick<StrategyArgs, "recursionDepth">) => root.selectinload(attr, args);
/** LEFT OUTER JOIN in the same query. Best for many-to-one / one-to-one; collections need `.unique()`. */
export const joinedload = <K extends string>(attr: Attr<K>, args?: Pick<StrategyArgs, "innerjoin">) => root.joinedload(attr, args);
/** Re-runs the parent query as a subquery joined to the children. */
export const subqueryload = <K extends string>(attr: Attr<K>) => root.subqueryload(attr);
/** One query per parent object, right after the parents load. */
export const immediateload = <K extends string>(attr: Attr<K>) => root.immediateload(attr);
/** Fill the relationship from a join the statement already has (filtered, ordered, aliased). */
export const containsEager = <K extends string>(attr: Attr<K>) => root.containsEager(attr);
/** Reading the relationship (or, with "*", every relationship not otherwise loaded) raises. */
export const raiseload = (attr: Attr | "*", args?: Pick<StrategyArgs, "sqlOnly">): Load => root.raiseload(attr, args);
export const noload = (attr: Attr | "*"): Load => root.noload(attr);
export const defaultload = <K extends string>(attr: Attr<K>) => root.defaultload(attr);

/**
 * Adds `where` to every load of `entity` that the statement makes: the statement's own rows when
 * it selects that entity, and each selectin / subquery / immediate load that reaches it
 * (SQLAlchemy's with_loader_criteria). `withLoaderCriteria(Order, Order.total.gt(100))`.
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
export function load(entity: MappedClass | EntityStatics): Load {
  const { mapper } = entityOf(entity, "load()");
  return new Load([], undefined, mapper);
}
