/**
 * Declaring entities. One place per field, type and mapping together:
 *
 * ```ts
 * interface Models { User: User; Order: Order }
 * const Base = declarativeBase<Models>();
 *
 * export class User extends Base.entity("users", {
 *   id: column.integer().primaryKey(),
 *   email: column.text(),
 *   orders: Base.many("Order", { backPopulates: "user" }),
 * }) {
 *   get domain() { return this.email.split("@")[1]; }   // methods live on loaded objects too
 * }
 * export class Order extends Base.entity("orders", { ... user: Base.one("User", { backPopulates: "orders" }) }) {}
 * Base.register({ User, Order });
 * ```
 *
 * Relationships name their target by string, resolved through the `Models` interface, because a
 * class cannot reference another class inside its own `extends` expression without TS2506
 * (docs/design.md). `register` is type-checked against `Models`, so a forgotten entity is a
 * compile error.
 */
import { ArgumentError } from "../../core/errors.js";
import { columnSpec, Table, type ColumnSpec, type TableOptions } from "../../core/schema/table.js";
import type { AliasNode, TableNode } from "../../core/sql/nodes.js";
import { MappingError } from "../errors.js";
import { installAccessors } from "./accessors.js";
import { ColumnBuilder, snakeCase } from "./column-builder.js";
import { InstrumentedColumn, RelationshipAttribute, type EntityLike } from "./instrumented.js";
import { ENTITY } from "./entity-key.js";
import { InstanceState, NOT_SET, STATE, stateOf, type Instrumented } from "./instance-state.js";
import { Mapper, type RelationshipDeclaration, type RelationshipProperty } from "./mapper.js";
import { Registry } from "./registry.js";
import { relationshipSpec, type LazyMode, type RelationshipOptions, type RelationshipSpec } from "./relationship-spec.js";
import type { EntityBrand, LoadHint, NotLoaded, TableOf } from "../typing/loaded.js";
import { inspect, type InspectOptions } from "node:util";

// ---------------------------------------------------------------------------------------------
// Types

// `any` is needed only for these two constraints: `ColumnBuilder<T>` is invariant in T because of
// its generic methods, so no other type admits every column. They never appear in a value type.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type AnyColumn = ColumnBuilder<any, boolean, string>;
export type FieldDeclaration = AnyColumn | RelationshipSpec<string, boolean>;
export type Fields = Record<string, FieldDeclaration>;

export type ColumnKeys<F> = { [K in keyof F]: F[K] extends AnyColumn ? K : never }[keyof F];
export type RelationshipKeys<F> = { [K in keyof F]: F[K] extends RelationshipSpec<string, boolean> ? K : never }[keyof F];

type ColumnValue<C> = C extends ColumnBuilder<infer T, boolean, string> ? T : never;

/** The columns of `F` that are foreign keys to a column of table `T`. */
type ForeignKeysTo<F, T extends string> = { [K in keyof F]: F[K] extends ColumnBuilder<unknown, boolean, `${T}.${string}`> ? K : never }[keyof F];

/**
 * What a single-object relationship adds to its target type: `null`, unless it is a many-to-one
 * whose foreign key cannot be NULL. The types see that when the entity has foreign keys to the
 * target's table and every one of them is NOT NULL. A self-referential relationship keeps `null`:
 * from the types alone it could be either direction (parent or child).
 */
type SingleNull<F, Target extends string, Own extends string> = [Target] extends [Own] ? null
  : [ForeignKeysTo<F, Target>] extends [never] ? null
  : null extends ColumnValue<F[ForeignKeysTo<F, Target>]> ? null : never;

type RelationshipValue<R, M, F, N extends string> = R extends RelationshipSpec<infer Target, infer Many>
  ? Target extends keyof M ? (Many extends true ? M[Target][] : M[Target] | SingleNull<F, TableOf<M[Target]>, N>) : never
  : never;

type EagerLazy = "selectin" | "joined" | "subquery" | "immediate";

/** The relationships of `F` that every query loads (an eager model-level `lazy`). */
type EagerKeys<F> = { [K in keyof F]: F[K] extends RelationshipSpec<string, boolean, infer L> ? ([L] extends [EagerLazy] ? K : never) : never }[keyof F] & string;

/**
 * A relationship as the entity's instance type has it: loaded when the model's `lazy` loads it
 * eagerly in every query, otherwise `NotLoaded` until a query's options load it (typing/loaded.ts).
 */
type RelationshipMember<R, M, K extends string, F, N extends string> = R extends RelationshipSpec<infer Target, infer Many, infer Lazy, infer Depth>
  ? [Lazy] extends [EagerLazy] ? LoadsByDefault<R, M, K, F, N, Target, Many, Depth>
    // Spelled out, not through an alias: a hover shows this union, not the alias with its arguments.
    : NotLoaded<RelationshipValue<R, M, F, N>, LoadHint<K>> | (Many extends true ? never : null & RelationshipValue<R, M, F, N>)
  : never;

/**
 * An eager default loads, except a self-referential one without `joinDepth`: SQLAlchemy's rule,
 * followed by path-options.ts, is that such a default does not load at all.
 */
type LoadsByDefault<R, M, K extends string, F, N extends string, Target, Many, Depth> =
  Target extends keyof M
    ? [TableOf<M[Target]>] extends [N]
      ? [Depth] extends [true] ? RelationshipValue<R, M, F, N> : NotLoaded<RelationshipValue<R, M, F, N>, LoadHint<K>> | (Many extends true ? never : null)
      : RelationshipValue<R, M, F, N>
    : never;

/** The instance type of an entity: columns as their values, relationships as their targets. */
export type EntityShape<F, M, N extends string = string> = {
  -readonly [K in keyof F]: F[K] extends AnyColumn ? ColumnValue<F[K]> : RelationshipMember<F[K], M, K & string, F, N>;
};

type OptionalColumnKeys<F> = { [K in keyof F]: F[K] extends ColumnBuilder<unknown, true, string> ? K : never }[keyof F];

/** What `new User({...})` accepts: required columns, optional defaulted/nullable ones and relationships. */
export type InsertShape<F, M, N extends string = string> =
  & { [K in Exclude<ColumnKeys<F>, OptionalColumnKeys<F>>]: ColumnValue<F[K]> }
  & { [K in OptionalColumnKeys<F>]?: ColumnValue<F[K]> }
  & { [K in RelationshipKeys<F>]?: RelationshipValue<F[K], M, F, N> };

/** Class-level attributes: `User.email` (a typed column expression), `User.orders` (a relationship). */
export type EntityAttributes<F, M, N extends string = string> = {
  readonly [K in keyof F]: F[K] extends AnyColumn
    ? InstrumentedColumn<ColumnValue<F[K]>>
    : F[K] extends RelationshipSpec<infer Target, infer Many>
      // The owner is the entity's brand (its table), which is what chained options check.
      ? Target extends keyof M ? RelationshipAttribute<EntityBrand<N, EagerKeys<F>>, M[Target], Many, K & string> : never
      : never;
};

export interface EntityStatics {
  readonly [ENTITY]: EntityLike;
}

/** Methods every entity object has. */
export interface EntityMethods {
  /** Loaded columns and relationships; unloaded and expired ones are left out rather than thrown. */
  toJSON(): Record<string, unknown>;
}

export type EntityClass<F extends Fields, M, N extends string = string> =
  (new (init?: InsertShape<F, M, N>) => EntityShape<F, M, N> & EntityMethods & EntityBrand<N, EagerKeys<F>>) &
  EntityAttributes<F, M, N> & EntityStatics;

/** Any mapped class (what select(), get() and loader options accept). */
export type MappedClass<T = object> = (abstract new (...args: never[]) => T) & EntityStatics;

type LazyOf<O> = O extends { readonly lazy: infer L extends LazyMode } ? L : "select";
type HasJoinDepth<O> = O extends { readonly joinDepth: number } ? true : false;

export { ENTITY };

export interface DeclarativeBase<M> {
  readonly registry: Registry;
  readonly metadata: Registry["metadata"];
  /** Declare an entity mapped to `tableName`; extend the returned class. */
  entity<const N extends string, F extends Fields>(tableName: N, fields: F, options?: TableOptions): EntityClass<F, M, N>;
  /** A plain table, typically a many-to-many association table. Columns keep their SQL names. */
  table(name: string, columns: Record<string, AnyColumn>, options?: TableOptions): Table;
  /** A collection relationship (one-to-many, or many-to-many with `secondary`). */
  many<Target extends keyof M & string, const O extends RelationshipOptions = {}>(target: Target, options?: O): RelationshipSpec<Target, true, LazyOf<O>, HasJoinDepth<O>>;
  /** A single-object relationship (many-to-one, or one-to-one: SQLAlchemy's uselist=False). */
  one<Target extends keyof M & string, const O extends RelationshipOptions = {}>(target: Target, options?: O): RelationshipSpec<Target, false, LazyOf<O>, HasJoinDepth<O>>;
  /** Name every entity class (checked against `M`); relationships are resolved from these names. */
  register(classes: { readonly [K in keyof M]: abstract new (...args: never[]) => M[K] }): void;
}

// ---------------------------------------------------------------------------------------------
// Runtime

function toColumnSpec(key: string, builder: AnyColumn, singleIntegerKey: boolean): ColumnSpec {
  const o = builder.options;
  const integer = o.type.sql === "integer" || o.type.sql === "bigint" || o.type.sql === "smallint";
  return columnSpec(o.name ?? snakeCase(key), o.type, {
    nullable: o.nullable,
    primaryKey: o.primaryKey,
    unique: o.unique,
    index: o.index,
    foreignKey: o.foreignKey,
    default: o.default,
    serverDefault: o.serverDefault,
    // As SQLAlchemy: a lone integer primary key without a foreign key is generated by the database.
    autoincrement: o.autoincrement ?? (o.primaryKey && singleIntegerKey && integer && o.foreignKey === undefined),
  });
}

class PlainEntity implements EntityLike {
  constructor(readonly mapper: Mapper, readonly fromNode: TableNode | AliasNode) {}
  columns(): readonly InstrumentedColumn[] {
    return this.mapper.columns.map((c) => c.attribute);
  }
}

function defineEntity<F extends Fields, M, N extends string>(registry: Registry, tableName: N, fields: F, options: TableOptions | undefined): EntityClass<F, M, N> {
  if (typeof tableName !== "string" || tableName === "") throw new ArgumentError("entity() needs a table name as its first argument.");
  const entries = Object.entries(fields);
  const columnEntries = entries.filter((e): e is [string, AnyColumn] => e[1] instanceof ColumnBuilder);
  const relEntries = entries.filter((e): e is [string, RelationshipSpec] => (e[1] as Partial<RelationshipSpec>).kind === "relationship");
  for (const [key, value] of entries) {
    if (!(value instanceof ColumnBuilder) && (value as Partial<RelationshipSpec>).kind !== "relationship") {
      throw new MappingError(`${tableName}.${key}: expected a column (column.integer(), ...) or a relationship (Base.many/one), got ${String(value)}.`);
    }
  }
  if ("prototype" in fields) throw new MappingError(`${tableName}: "prototype" cannot be an attribute name (every class has one); use .named("prototype") on another property.`);
  const pkCount = columnEntries.filter(([, b]) => b.options.primaryKey).length;
  if (pkCount === 0) throw new MappingError(`Entity for table "${tableName}" has no primary key: mark a column with .primaryKey().`);
  const specs = columnEntries.map(([key, b]) => toColumnSpec(key, b, pkCount === 1));
  const table = registry.metadata.add(new Table(tableName, specs, options));
  const decls: RelationshipDeclaration[] = relEntries.map(([key, spec]) => ({ key, targetName: spec.target, many: spec.many, options: spec.options }));
  const mapper = new Mapper(table, registry, decls);
  columnEntries.forEach(([key], i) => mapper.addColumn(key, specs[i]!, new InstrumentedColumn(specs[i]!, table.node, mapper, key)));
  registry.addMapper(mapper);
  const entity = new PlainEntity(mapper, table.node);
  mapper.entity = entity;
  const columnCount = mapper.columns.length;

  // The constructor stores columns straight into the values array (a new object is transient, so
  // the setter would only store too) and sends relationships through their setter, which keeps
  // the other side in step. Maps, not `key in fields`: "toString" is in every object.
  const columnIndex = new Map(mapper.columns.map((c) => [c.key, c.index] as const));
  const relationshipKeys = new Set(decls.map((d) => d.key));

  class Entity {
    constructor(init?: Record<string, unknown>) {
      const values = new Array<unknown>(columnCount).fill(NOT_SET);
      (this as unknown as Instrumented)[STATE] = new InstanceState(mapper, values, "transient");
      if (init === undefined) return;
      // for-in, not Object.keys(): no array per object built (a bulk insert builds thousands).
      for (const key in init) {
        if (!Object.hasOwn(init, key)) continue;
        const value = init[key];
        const index = columnIndex.get(key);
        if (index !== undefined) {
          if (value !== undefined) values[index] = value;
        } else if (relationshipKeys.has(key)) {
          if (value !== undefined) (this as Record<string, unknown>)[key] = value;
        } else {
          throw new ArgumentError(`${mapper.name}: unknown attribute "${key}" (it has ${Object.keys(fields).join(", ")}).`);
        }
      }
    }

    /** Loaded columns and relationships; unloaded and expired ones are left out rather than thrown. */
    toJSON(): Record<string, unknown> {
      return plain(this, new Set(), undefined);
    }

    // Node passes the depth left and the caller's options: nested objects (backPopulates makes
    // cycles) print down to the caller's depth, then as "[Order]", instead of recursing without end.
    [inspect.custom](depth: number, options: InspectOptions): string {
      if (depth < 0) return `[${mapper.name}]`;
      // With depth: null (unlimited), an object already being printed is a cycle.
      if (inspecting.has(this)) return `[Circular ${mapper.name}]`;
      inspecting.add(this);
      try {
        return `${mapper.name} ${inspect(snapshot(this), { ...options, depth })}`;
      } finally {
        inspecting.delete(this);
      }
    }
  }
  installAccessors(Entity.prototype, mapper);
  Object.defineProperty(Entity, ENTITY, { value: entity });
  for (const col of mapper.columns) Object.defineProperty(Entity, col.key, { value: col.attribute, enumerable: true });
  for (const decl of decls) Object.defineProperty(Entity, decl.key, { value: new RelationshipAttribute(entity, decl.key), enumerable: true });
  mapper.cls = Entity;
  return Entity as unknown as EntityClass<F, M, N>;
}

/** The columns that hold a value (not expired, not unset), by attribute name. */
function loadedColumns(state: InstanceState): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const col of state.mapper.columns) {
    const v = state.values[col.index];
    if (typeof v !== "symbol") out[col.key] = v;
  }
  return out;
}

/** Entity objects whose inspect() is on the stack (see [inspect.custom]). */
const inspecting = new Set<object>();

function snapshot(obj: object): Record<string, unknown> {
  const state = stateOf(obj);
  if (!state) return {};
  const out = loadedColumns(state);
  state.mapper.relationshipDeclarations.forEach((decl, i) => {
    const v = state.rels?.[i];
    if (v !== undefined) out[decl.key] = v;
  });
  return out;
}

/**
 * toJSON's value: loaded attributes as plain data, relationships nested. The side that points back
 * (backPopulates) and any object already on the way down are left out, so JSON.stringify of a
 * graph built with backPopulates (user.orders[0].user === user) never meets a cycle.
 */
function plain(obj: object, path: Set<object>, cameFrom: RelationshipProperty | undefined): Record<string, unknown> {
  const state = stateOf(obj);
  if (!state) return {};
  path.add(obj);
  const out = loadedColumns(state);
  state.mapper.relationshipDeclarations.forEach((decl, i) => {
    const v = state.rels?.[i];
    if (v === undefined) return;
    const rel = state.mapper.relationship(decl.key);
    if (cameFrom !== undefined && cameFrom.back === rel) return;
    if (v === null) out[decl.key] = null;
    else if (Array.isArray(v)) out[decl.key] = (v as object[]).filter((t) => !path.has(t)).map((t) => plain(t, path, rel));
    else if (!path.has(v as object)) out[decl.key] = plain(v as object, path, rel);
  });
  path.delete(obj);
  return out;
}

export function declarativeBase<M>(): DeclarativeBase<M> {
  const registry = new Registry();
  return {
    registry,
    metadata: registry.metadata,
    entity: <const N extends string, F extends Fields>(tableName: N, fields: F, options?: TableOptions) => defineEntity<F, M, N>(registry, tableName, fields, options),
    table: (name, columns, options) => {
      const entries = Object.entries(columns);
      const pk = entries.filter(([, b]) => b.options.primaryKey).length;
      // Association tables keep the keys as written and never autoincrement.
      const specs = entries.map(([key, b]) => ({ ...toColumnSpec(key, b, pk === 1), name: b.options.name ?? key, autoincrement: false }));
      return registry.metadata.add(new Table(name, specs, options));
    },
    many: (target, options) => relationshipSpec(target, true, options),
    one: (target, options) => relationshipSpec(target, false, options),
    register: (classes) => {
      for (const [name, cls] of Object.entries(classes) as [string, MappedClass][]) {
        const entity = (cls as Partial<EntityStatics>)[ENTITY];
        if (entity === undefined || entity.mapper.registry !== registry) {
          throw new MappingError(`register(): ${name} is not an entity of this base (declare it with Base.entity(...)).`);
        }
        registry.name(entity.mapper, name);
        entity.mapper.cls = cls;
        // A class has its own `name` and `length`, which would hide the base's column attributes
        // of those names (`Product.name`): the attributes are defined on the class itself too.
        for (const key of Object.getOwnPropertyNames(cls)) {
          const attribute = Object.getOwnPropertyDescriptor(Object.getPrototypeOf(cls), key);
          // Only mapped attributes: the base's own `name` ("Entity") must not replace the class's.
          const mapped = attribute?.value instanceof InstrumentedColumn || attribute?.value instanceof RelationshipAttribute;
          if (attribute !== undefined && mapped) Object.defineProperty(cls, key, { ...attribute, configurable: true });
        }
      }
      registry.configure();
    },
  };
}

/** The entity behind a mapped class or alias, with a clear error for anything else. */
export function entityOf(value: unknown, where: string): EntityLike {
  const entity = value === null || value === undefined ? undefined : (value as Partial<EntityStatics>)[ENTITY];
  if (entity === undefined) {
    throw new ArgumentError(`${where} expects a mapped entity class (declared with Base.entity), got ${value === undefined ? "undefined" : String(value)}.`);
  }
  if (entity.mapper.name === "") throw new MappingError(`${where}: the entity for table "${entity.mapper.table.name}" is not registered; call Base.register({...}).`);
  return entity;
}
