/**
 * The loader options of one statement as a tree of paths (SQLAlchemy's path registry): each node
 * is an entity reached by a path of relationships, with the strategy chosen for each of its
 * relationships. Model-level eager defaults (lazy: "selectin", ...) are expanded into the tree
 * here, so strategies see one uniform structure. Every loaded object keeps a reference to the
 * node it was loaded at, which is how raiseload() reaches objects long after the query ran.
 */
import { ArgumentError } from "../../core/errors.js";
import type { Predicate } from "../../core/sql/expression.js";
import type { EntityLike } from "../mapping/instrumented.js";
import type { LoadPathOptions } from "../mapping/instance-state.js";
import type { Mapper, RelationshipProperty } from "../mapping/mapper.js";
import type { AnyLoad, EntityCriteria, StrategyArgs, StrategyKey } from "./options.js";

type LazyOverride = "raise" | "raise_on_sql" | "noload";

export interface ChildLoad {
  readonly rel: RelationshipProperty;
  strategy: StrategyKey;
  args: StrategyArgs;
  criteria: Predicate | undefined;
  targetEntity: EntityLike | undefined;
  readonly node: PathNode;
  /** Set by the model default rather than a query option. */
  readonly fromDefault: boolean;
}

const EAGER = new Set<StrategyKey>(["selectin", "joined", "subquery", "immediate"]);

export class TreeRoot {
  /** A bare raiseload("*") / noload("*"): every relationship of every object this query loads. */
  queryWide: LazyOverride | undefined;
  /**
   * The statement's withLoaderCriteria: applied to every load of those entities that this tree
   * makes, and kept by the objects it loads (their loadOptions), so a later session.load() or
   * refresh() of them applies them too (SQLAlchemy's propagate_to_loaders).
   */
  entityCriteria: readonly EntityCriteria[] = [];
}

export class PathNode implements LoadPathOptions {
  readonly children = new Map<string, ChildLoad>();
  /** raiseload("*") scoped to this path. */
  wildcard: LazyOverride | undefined;
  constructor(
    readonly mapper: Mapper,
    readonly root: TreeRoot,
    readonly path: readonly RelationshipProperty[],
  ) {}

  lazyFor(key: string): LazyOverride | undefined {
    const child = this.children.get(key);
    if (child !== undefined) {
      const s = child.strategy;
      if (s === "raise" || s === "raise_on_sql" || s === "noload") return s;
      if (s !== "default") return undefined;
    }
    return this.wildcard ?? this.root.queryWide;
  }

  /** The child for `rel`, created with strategy "default" when the path only passes through. */
  child(rel: RelationshipProperty): ChildLoad {
    let child = this.children.get(rel.key);
    if (child === undefined) {
      child = {
        rel, strategy: "default", args: {}, criteria: undefined, targetEntity: undefined, fromDefault: false,
        node: new PathNode(rel.target, this.root, [...this.path, rel]),
      };
      this.children.set(rel.key, child);
    }
    return child;
  }

  /** Eager children, in declaration order. */
  eagerChildren(): ChildLoad[] {
    return [...this.children.values()].filter((c) => EAGER.has(c.strategy) || c.strategy === "contains_eager");
  }

  /** Every node under this one (this included): what a "default" child still reaches. */
  *walk(): Generator<PathNode> {
    yield this;
    for (const c of this.children.values()) yield* c.node.walk();
  }
}

/** Builds the tree for one queried entity from the statement's options and the model defaults. */
export function buildPathTree(entity: EntityLike, loads: readonly AnyLoad[], root: TreeRoot): PathNode {
  const top = new PathNode(entity.mapper, root, []);
  for (const load of loads) {
    const [first] = load.steps;
    if (first === undefined) continue;
    if (load.root !== undefined && load.root !== entity.mapper) continue;
    if (first.attribute === "*") {
      if (load.steps.length === 1) {
        if (load.root !== undefined) top.wildcard = first.strategy as LazyOverride;
        else root.queryWide = first.strategy as LazyOverride;
      }
      continue;
    }
    if (first.attribute.parent.mapper !== entity.mapper) continue;
    let node = top;
    for (const step of load.steps) {
      if (step.attribute === "*") {
        node.wildcard = step.strategy as LazyOverride;
        break;
      }
      const rel = step.attribute.property;
      if (rel.parent !== node.mapper) {
        throw new ArgumentError(`${step.attribute.description} does not start at ${node.mapper.name}; check the order of the chained loader options.`);
      }
      const child = node.child(rel);
      if (step.strategy !== "default") {
        child.strategy = step.strategy;
        child.args = step.args;
      }
      if (step.attribute.criteria !== undefined) child.criteria = step.attribute.criteria;
      if (step.attribute.targetEntity !== undefined) child.targetEntity = step.attribute.targetEntity;
      node = child.node;
    }
  }
  expandDefaults(top);
  return top;
}

function defaultAllowed(node: PathNode, rel: RelationshipProperty): boolean {
  // SQLAlchemy's rule for eager defaults: with joinDepth, at most that many relationship steps
  // from the queried entity; without it, stop when the target entity is already on the path (the
  // queried entity included), so back-references are not followed and a self-referential
  // default does not load at all ("the eager load will not take place at all").
  const depth = rel.options.joinDepth;
  if (depth !== undefined) return node.path.length < depth;
  const root = node.path[0]?.parent ?? node.mapper;
  return rel.target !== root && !node.path.some((r) => r.target === rel.target);
}

/** Adds the model-level eager defaults (lazy: "selectin", ...) under `node`, recursively. */
export function expandDefaults(node: PathNode): void {
  for (const rel of node.mapper.relationships) {
    const lazy = rel.lazy as StrategyKey;
    if (!EAGER.has(lazy)) continue;
    if (node.wildcard !== undefined || node.root.queryWide !== undefined) continue;
    const named = node.children.get(rel.key);
    if (named !== undefined) {
      // defaultload(Shelf.books).raiseload(Book.pages): the path names the relationship without
      // a strategy, so the model's eager default still loads it.
      if (named.strategy === "default") {
        named.strategy = lazy;
        named.args = { ...named.args, innerjoin: rel.options.innerjoin ?? false };
      }
      continue;
    }
    if (!defaultAllowed(node, rel)) continue;
    node.children.set(rel.key, {
      rel, strategy: lazy, args: { innerjoin: rel.options.innerjoin ?? false }, criteria: undefined, targetEntity: undefined,
      fromDefault: true, node: new PathNode(rel.target, node.root, [...node.path, rel]),
    });
  }
  for (const child of node.children.values()) expandDefaults(child.node);
}
