/**
 * `await session.load(users, "orders.products")`: the explicit async load for when a
 * relationship was not loaded by the query. It batches like selectinload (one query per level for
 * all the given objects), never one query per object, and loads only what is not loaded yet.
 */
import { ArgumentError } from "../../core/errors.js";
import { isRelationshipAttribute, type RelationshipAttribute } from "../mapping/instrumented.js";
import { STATE, type Instrumented } from "../mapping/instance-state.js";
import type { Mapper } from "../mapping/mapper.js";
import { LoadContext, type LoadingSession } from "../loading/context.js";
import { expandDefaults, PathNode, TreeRoot } from "../loading/path-options.js";
import { runPostLoads } from "../loading/post-load.js";

/** A dotted path of relationship names ("orders.products") or a chain of attributes. */
export type LoadPath = string | RelationshipAttribute | readonly RelationshipAttribute[];

function steps(mapper: Mapper, path: LoadPath): string[] {
  if (typeof path === "string") return path.split(".");
  if (isRelationshipAttribute(path)) return [path.key];
  if (Array.isArray(path)) return path.map((a: RelationshipAttribute) => a.key);
  throw new ArgumentError(`session.load(): expected a relationship name such as "orders", got ${String(path)} for ${mapper.name}.`);
}

export async function explicitLoad(session: LoadingSession, objects: readonly Instrumented[], paths: readonly LoadPath[]): Promise<void> {
  if (objects.length === 0) return;
  if (paths.length === 0) throw new ArgumentError('session.load(objects, ...paths) needs at least one relationship, e.g. session.load(users, "orders").');
  const byMapper = new Map<Mapper, Instrumented[]>();
  for (const obj of objects) {
    const mapper = obj[STATE].mapper;
    byMapper.set(mapper, [...(byMapper.get(mapper) ?? []), obj]);
  }
  const ctx = new LoadContext(session, false, undefined);
  for (const [mapper, objs] of byMapper) {
    const root = new TreeRoot();
    const top = new PathNode(mapper, root, []);
    for (const path of paths) {
      let node = top;
      for (const key of steps(mapper, path)) {
        const child = node.child(node.mapper.relationship(key));
        child.strategy = "selectin";
        node = child.node;
      }
    }
    // The loaded objects' own model-level eager defaults load too, as a lazy load's query would
    // (below the named relationships only), always as batch loads: there is no parent query here
    // to join to.
    for (const child of top.children.values()) expandDefaults(child.node);
    for (const node of top.walk()) {
      for (const child of node.children.values()) {
        if (child.strategy === "joined" || child.strategy === "subquery" || child.strategy === "immediate") child.strategy = "selectin";
      }
    }
    await runPostLoads(ctx, [{ node: top, parents: objs }]);
  }
}
