/**
 * Eager joins, by strategy key (SQLAlchemy finds its strategies by key the same way): the joined
 * and contains-eager strategies add their joins and columns to a QueryBuilder, recursively down
 * the path tree. Used for the ORM select (query/compile.ts) and for the batch query of a keyed
 * loader that has joined steps below it (`selectinload(User.orders).joinedload(Order.products)`
 * joins the products into the orders query, as SQLAlchemy does; issue 11, defect 1).
 */
import { freeze, type AliasNode, type SelectNode, type TableNode } from "../../core/sql/nodes.js";
import type { ChildLoad, PathNode } from "./path-options.js";
import { QueryBuilder, type JoinedSlot } from "./query-builder.js";
import { setupContainsEager } from "./strategies/contains-eager.js";
import { setupJoined } from "./strategies/joined.js";

type EagerJoinSetup = (qb: QueryBuilder, child: ChildLoad, parentSlot: number) => number;

const SETUPS: Readonly<Record<"joined" | "contains_eager", EagerJoinSetup>> = {
  joined: setupJoined,
  contains_eager: setupContainsEager,
};

/** Adds the joins of `node`'s joined / contains-eager children (and theirs) for the object in `slot`. */
export function addEagerJoins(qb: QueryBuilder, node: PathNode, slot: number): void {
  for (const child of node.children.values()) {
    if (child.strategy !== "joined" && child.strategy !== "contains_eager") continue;
    const childSlot = SETUPS[child.strategy](qb, child, slot);
    addEagerJoins(qb, child.node, childSlot);
  }
}

/** A keyed loader's batch query with the joined steps below its level joined in. */
export interface JoinedBatch {
  readonly node: SelectNode;
  /** Slot 0 is the batch's target; joined target j is slot 1 + j. */
  readonly joined: readonly JoinedSlot[];
}

const batches = new WeakMap<SelectNode, WeakMap<PathNode, JoinedBatch | null>>();

/**
 * `query` (one FROM item, the target read from `targetFrom`) with the joins for `node`'s joined
 * children, or undefined when it has none. Cached per (query, path node): a statement's tree and
 * the uncriteria'd batch queries are both reused across executions.
 */
export function joinIntoBatch(query: SelectNode, targetFrom: TableNode | AliasNode, node: PathNode): JoinedBatch | undefined {
  if (!hasJoinedChild(node)) return undefined;
  let byNode = batches.get(query);
  if (byNode === undefined) batches.set(query, (byNode = new WeakMap()));
  let batch = byNode.get(node);
  if (batch === undefined) {
    const qb = new QueryBuilder(query.from);
    qb.columns = [...query.columns];
    qb.slotFroms.push(targetFrom);
    addEagerJoins(qb, node, 0);
    batch = qb.joined.length === 0 ? null : {
      node: freeze({ ...query, columns: qb.columns, from: qb.froms, orderBy: [...query.orderBy, ...qb.orderBy] }),
      joined: qb.joined,
    };
    byNode.set(node, batch);
  }
  return batch ?? undefined;
}

function hasJoinedChild(node: PathNode): boolean {
  for (const child of node.children.values()) if (child.strategy === "joined") return true;
  return false;
}
