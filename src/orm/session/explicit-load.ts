/**
 * `await session.load(users, "orders.products")`: the explicit async load for when a
 * relationship was not loaded by the query. It batches like selectinload (one query per level for
 * all the given objects), never one query per object, and loads only what is not loaded yet.
 */
import { ArgumentError, InvalidRequestError } from "../../core/errors.js";
import { and, or } from "../../core/sql/operators.js";
import type { EntityStatics } from "../mapping/declarative.js";
import { instanceRepr } from "../mapping/instance-state.js";
import { loadEntities } from "../loading/load-entities.js";
import { select } from "../query/select.js";
import { isRelationshipAttribute, type RelationshipAttribute } from "../mapping/instrumented.js";
import { STATE, type Instrumented } from "../mapping/instance-state.js";
import type { Mapper } from "../mapping/mapper.js";
import { LoadContext, type LoadingSession } from "../loading/context.js";
import { expandDefaults, PathNode, TreeRoot } from "../loading/path-options.js";
import { runPostLoads } from "../loading/post-load.js";
import { Load, type AnyLoad, type EntityCriteria } from "../loading/options.js";

/** A dotted path of relationship names ("orders.products") or a chain of attributes. */
export type LoadPath = string | RelationshipAttribute | readonly RelationshipAttribute[];

/** The relationship names along a path (`"orders.products"` or `[User.orders, Order.products]`). */
export function pathSteps(mapper: Mapper, path: LoadPath): string[] {
  if (typeof path === "string") return path.split(".");
  if (isRelationshipAttribute(path)) return [attributeStep(mapper, path)];
  if (Array.isArray(path)) {
    let at = mapper;
    return path.map((a: RelationshipAttribute) => {
      const key = attributeStep(at, a);
      if (isRelationshipAttribute(a)) at = a.property.target;
      return key;
    });
  }
  throw new ArgumentError(`session.load(): expected a relationship name such as "orders", got ${String(path)} for ${mapper.name}.`);
}

/**
 * The key of an attribute step, which must start where the path is: `session.load(invoices,
 * Order.user)` would otherwise load Invoice.user, the relationship of the same name (the types
 * reject it too: typing/paths.ts).
 */
function attributeStep(at: Mapper, attribute: RelationshipAttribute): string {
  if (isRelationshipAttribute(attribute) && attribute.parent.mapper !== at) {
    throw new ArgumentError(
      `session.load(): ${attribute.description} is not a relationship of ${at.name}, where the path is ` +
        `(its relationships: ${at.relationships.map((r) => r.key).join(", ") || "none"}).`,
    );
  }
  return attribute.key;
}

export async function explicitLoad(session: LoadingSession, objects: readonly Instrumented[], paths: readonly LoadPath[]): Promise<void> {
  if (objects.length === 0) return;
  if (paths.length === 0) throw new ArgumentError('session.load(objects, ...paths) needs at least one relationship, e.g. session.load(users, "orders").');
  // Grouped by entity, and by the withLoaderCriteria of the statement that loaded them: a load
  // from an object applies its statement's criteria (SQLAlchemy propagates them to lazy loads).
  const groups = new Map<Mapper, Map<readonly EntityCriteria[], Instrumented[]>>();
  for (const obj of objects) {
    const mapper = obj[STATE].mapper;
    let byCriteria = groups.get(mapper);
    if (byCriteria === undefined) groups.set(mapper, (byCriteria = new Map()));
    const criteria = loaderCriteriaOf(obj);
    byCriteria.set(criteria, [...(byCriteria.get(criteria) ?? []), obj]);
  }
  const byMapper = [...groups].flatMap(([mapper, byCriteria]) => [...byCriteria].map(([criteria, objs]) => ({ mapper, criteria, objs })));
  for (const { mapper, criteria, objs } of byMapper) await refreshExpired(session, mapper, objs, criteria);
  const ctx = new LoadContext(session, false, undefined);
  for (const { mapper, criteria, objs } of byMapper) {
    const root = new TreeRoot();
    root.entityCriteria = criteria;
    const top = new PathNode(mapper, root, []);
    for (const path of paths) {
      let node = top;
      for (const key of pathSteps(mapper, path)) {
        const child = node.child(node.mapper.relationship(key));
        child.strategy = "selectin";
        node = child.node;
      }
    }
    // The loaded objects' own model-level eager defaults load too, as a lazy load's query would
    // (below the named relationships only). A joined default joins into the batch query of its
    // level, as it joins into SQLAlchemy's lazy-load query; subquery and immediate become batch
    // loads (there is no parent query to re-run).
    for (const child of top.children.values()) expandDefaults(child.node);
    for (const node of top.walk()) {
      for (const child of node.children.values()) {
        if (child.strategy === "subquery" || child.strategy === "immediate") child.strategy = "selectin";
      }
    }
    await runPostLoads(ctx, [{ node: top, parents: objs }]);
  }
}

const NO_CRITERIA: readonly EntityCriteria[] = Object.freeze([]);

/** The withLoaderCriteria of the statement that loaded `obj` (none for objects it did not load). */
export function loaderCriteriaOf(obj: Instrumented): readonly EntityCriteria[] {
  const options = obj[STATE].loadOptions;
  return options instanceof PathNode && options.root.entityCriteria.length > 0 ? options.root.entityCriteria : NO_CRITERIA;
}

/** `criteria` as loader options again, for a statement that reloads objects (session.refresh()). */
export function loaderCriteriaOptions(criteria: readonly EntityCriteria[]): AnyLoad[] {
  return criteria.map((c) => new Load([], c));
}

/** The primary-key values of an object, from its identity key when the columns are expired. */
function primaryKeyValues(obj: Instrumented): unknown[] {
  const state = obj[STATE];
  const pk = state.mapper.primaryKey;
  const values = pk.map((c) => state.values[c.index]);
  if (values.every((v) => typeof v !== "symbol")) return values;
  if (pk.length === 1) return [state.identityKey];
  // compositeKey(): each value JSON-encoded (bigint as "<digits>n"), each followed by U+0000.
  return String(state.identityKey).split("\u0000").slice(0, -1).map((part) => (/^-?\d+n$/.test(part) ? BigInt(part.slice(0, -1)) : JSON.parse(part) as unknown));
}

/**
 * Expired objects (after commit, rollback or expire()) no longer hold the keys a batch load needs:
 * refresh their columns first, with one query for all of them, as SQLAlchemy refreshes an expired
 * object before lazy-loading from it. Without this their relationships would be loaded as empty.
 */
async function refreshExpired(session: LoadingSession, mapper: Mapper, objs: readonly Instrumented[], criteria: readonly EntityCriteria[]): Promise<void> {
  const expired = objs.filter((o) => o[STATE].expired && o[STATE].status === "persistent");
  if (expired.length === 0) return;
  const pk = mapper.primaryKey;
  const keys = expired.map(primaryKeyValues);
  const where = pk.length === 1
    ? pk[0]!.attribute.eqAny(keys.map((k) => k[0]) as never[])
    : or(...keys.map((k) => and(...pk.map((c, i) => c.attribute.eq(k[i] as never)))));
  await loadEntities(session, select(mapper.cls as unknown as EntityStatics).where(where).options(...loaderCriteriaOptions(criteria)));
  for (const obj of expired) {
    if (pk.some((c) => typeof obj[STATE].values[c.index] === "symbol")) {
      throw new InvalidRequestError(`session.load(): could not refresh expired ${instanceRepr(obj)}: its row no longer exists.`);
    }
  }
}

/**
 * refresh(): the eager loads an object was loaded with run again for it (SQLAlchemy re-applies
 * the original load options when it refreshes, ANCHORS 8). `original` is the path node the object
 * was loaded at; its eager children are copied with their criteria and run as batch loads, the
 * way SQLAlchemy turns a selectinload into a load for the one object.
 */
export async function reapplyEagerOptions(session: LoadingSession, obj: Instrumented, original: PathNode): Promise<void> {
  const root = new TreeRoot();
  root.entityCriteria = original.root.entityCriteria;
  const top = new PathNode(original.mapper, root, []);
  copyEagerChildren(original, top);
  if (top.children.size === 0) return;
  for (const child of top.children.values()) expandDefaults(child.node);
  await runPostLoads(new LoadContext(session, false, undefined), [{ node: top, parents: [obj] }]);
}

function copyEagerChildren(from: PathNode, to: PathNode, depth = 0): void {
  for (const load of from.children.values()) {
    // Model defaults load with the refresh's own query; contains_eager came from a join the
    // original statement had, which a refresh does not repeat (SQLAlchemy leaves it unloaded too).
    if (load.fromDefault || load.strategy === "contains_eager") continue;
    const eager = load.strategy === "selectin" || load.strategy === "joined" || load.strategy === "subquery" || load.strategy === "immediate";
    if (!eager && load.strategy !== "default") continue;
    const child = to.child(load.rel);
    if (eager) {
      // Below the first level a joined step stays joined: it joins into its level's batch query.
      child.strategy = depth > 0 && load.strategy === "joined" ? "joined" : "selectin";
      child.args = load.args;
      child.criteria = load.criteria;
    }
    copyEagerChildren(load.node, child.node, depth + 1);
  }
}