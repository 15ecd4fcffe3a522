/**
 * The SELECT behind `session.get()`, built once per (entity, loader options, populateExisting)
 * with bind parameters for the key, and reused. Building the statement anew per call made every
 * lookup pay the ORM compile (loader path tree, eager joins) and the SQL rendering again: about
 * half of what a by-primary-key lookup with a joinedload cost the client. The SQL text is the
 * same as before, so the prepared statement is the same too.
 *
 * Options that carry values (criteria with `.and(...)`, `.of(alias)`, withLoaderCriteria) are
 * not keyed: such a call builds the same statement for itself alone.
 */
import { ArgumentError } from "../../core/errors.js";
import { bindparam } from "../../core/sql/expression.js";
import type { EntityStatics } from "../mapping/declarative.js";
import type { Mapper } from "../mapping/mapper.js";
import type { AnyLoad, LoadStep } from "../loading/options.js";
import { select, type EntitySelect } from "../query/select.js";

/** Distinct option sets kept per entity; beyond this a call builds its statement, uncached. */
const MAX_SHAPES_PER_ENTITY = 64;

const statements = new WeakMap<Mapper, Map<string, EntitySelect<readonly unknown[]>>>();
const mapperIds = new WeakMap<Mapper, number>();
let nextMapperId = 0;

/** The bind-parameter name of primary-key column `i`. */
export function keyParam(i: number): string {
  return `get_pk_${i}`;
}

/** The cached statement for this call, or undefined when its options cannot be keyed. */
export function cachedGetStatement(
  mapper: Mapper, entity: EntityStatics, options: readonly AnyLoad[], populateExisting: boolean,
): EntitySelect<readonly unknown[]> | undefined {
  const key = optionsKey(options, populateExisting);
  if (key === undefined) return undefined;
  let byKey = statements.get(mapper);
  if (byKey === undefined) statements.set(mapper, (byKey = new Map()));
  let stmt = byKey.get(key);
  if (stmt === undefined) {
    if (byKey.size >= MAX_SHAPES_PER_ENTITY) return undefined;
    stmt = getStatement(mapper, entity, options, populateExisting);
    byKey.set(key, stmt);
  }
  return stmt;
}

/** A new statement for this call, with the key as bind parameters `keyParam(i)` (what the cache keeps). */
export function getStatement(
  mapper: Mapper, entity: EntityStatics, options: readonly AnyLoad[], populateExisting: boolean,
): EntitySelect<readonly unknown[]> {
  let stmt = select(entity).where(...mapper.primaryKey.map((c, i) => c.attribute.eq(bindparam(keyParam(i), c.spec.type) as never)));
  if (options.length > 0) stmt = stmt.options(...options);
  if (populateExisting) stmt = stmt.populateExisting();
  return stmt as EntitySelect<readonly unknown[]>;
}

function optionsKey(options: readonly AnyLoad[], populateExisting: boolean): string | undefined {
  let key = populateExisting ? "P" : "";
  for (const option of options) {
    if (option.entityCriteria !== undefined) return undefined;
    key += `|${option.root === undefined ? "" : idOf(option.root)}`;
    for (const step of option.steps) {
      const part = stepKey(step);
      if (part === undefined) return undefined;
      key += part;
    }
  }
  return key;
}

function stepKey(step: LoadStep): string | undefined {
  const { attribute, strategy, args } = step;
  const argsKey = `${args.innerjoin === true ? "i" : ""}${args.recursionDepth ?? ""}${args.sqlOnly === true ? "s" : ""}`;
  if (attribute === "*") return `>*:${strategy}:${argsKey}`;
  const owner = attribute.parent.mapper;
  // Criteria, aliases and aliased owners hold objects a string cannot name.
  if (attribute.criteria !== undefined || attribute.targetEntity !== undefined || attribute.parent !== owner.entity) return undefined;
  return `>${idOf(owner)}.${attribute.key}:${strategy}:${argsKey}`;
}

function idOf(mapper: Mapper): number {
  let id = mapperIds.get(mapper);
  if (id === undefined) mapperIds.set(mapper, (id = nextMapperId++));
  return id;
}

/** get()'s `key` argument as one value per primary-key column: a value, an array, or an object by attribute name. */
export function normalizeKey(mapper: Mapper, key: unknown): unknown[] {
  const pk = mapper.primaryKey;
  if (key === undefined || key === null) throw new ArgumentError(`get(${mapper.name}, ${String(key)}): a primary key value is required.`);
  if (pk.length === 1) {
    if (Array.isArray(key)) {
      if (key.length !== 1) throw new ArgumentError(`get(${mapper.name}): the primary key has 1 column, got ${key.length} values.`);
      return [...(key as unknown[])];
    }
    return [key];
  }
  if (Array.isArray(key)) {
    if (key.length !== pk.length) throw new ArgumentError(`get(${mapper.name}): the primary key has ${pk.length} columns (${pk.map((c) => c.key).join(", ")}), got ${key.length} values.`);
    return [...(key as unknown[])];
  }
  if (typeof key === "object") {
    return pk.map((c) => {
      const v = (key as Record<string, unknown>)[c.key];
      if (v === undefined) throw new ArgumentError(`get(${mapper.name}): missing primary key attribute "${c.key}".`);
      return v;
    });
  }
  throw new ArgumentError(`get(${mapper.name}): the primary key has ${pk.length} columns; pass [${pk.map((c) => c.key).join(", ")}] or an object.`);
}
