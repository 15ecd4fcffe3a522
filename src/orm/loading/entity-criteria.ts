/**
 * withLoaderCriteria everywhere its entity is loaded (issue 11, defect 5): in the statement's own
 * joins to it (ON), in its FROM (WHERE), in joined eager loads (ON, against the join's alias), in
 * keyed loads (WHERE), and in later session.load() / refresh() of objects the statement loaded.
 */
import { Expression, type Predicate } from "../../core/sql/expression.js";
import { freeze, type AliasNode, type ExprNode, type FromNode, type TableNode } from "../../core/sql/nodes.js";
import { and } from "../../core/sql/operators.js";
import type { EntityLike } from "../mapping/instrumented.js";
import type { Mapper } from "../mapping/mapper.js";
import { adaptCriteria } from "./adapt-columns.js";
import type { EntityCriteria } from "./options.js";
import type { ChildLoad, TreeRoot } from "./path-options.js";

/** The criteria for `mapper` read from `from` (its table, or an alias of it), ANDed; undefined when none. */
export function criteriaFor(criteria: readonly EntityCriteria[], mapper: Mapper, from: TableNode | AliasNode): Predicate | undefined {
  let out: Predicate | undefined;
  for (const c of criteria) {
    if (c.mapper !== mapper) continue;
    const where = from === mapper.table.node ? c.where : adaptCriteria(c.where, new Map([[mapper.table.node, from]]));
    out = out === undefined ? where : and(out, where);
  }
  return out;
}

/**
 * What a load of `child.rel` filters on: the relationship's own `.and(...)` criteria and the
 * tree's withLoaderCriteria for the target (read from the `.of(alias)` target when there is one).
 */
export function loadCriteria(child: ChildLoad): Predicate | undefined {
  const root: TreeRoot = child.node.root;
  if (root.entityCriteria.length === 0) return child.criteria;
  const target: EntityLike | undefined = child.targetEntity;
  const entity = criteriaFor(root.entityCriteria, child.rel.target, target?.fromNode ?? child.rel.target.table.node);
  if (entity === undefined) return child.criteria;
  return child.criteria === undefined ? entity : and(child.criteria, entity);
}

/**
 * The statement's FROM list with each join to a criteria'd entity (table or alias) carrying the
 * criteria in its ON clause; `covered` collects the FROM nodes so filtered.
 */
export function applyToJoins(froms: readonly FromNode[], criteria: readonly EntityCriteria[], covered: Set<TableNode | AliasNode>): FromNode[] {
  const visit = (from: FromNode): FromNode => {
    if (from.kind !== "join") return from;
    const left = visit(from.left);
    const right = visit(from.right);
    let on = from.on;
    const mapper = right.kind === "join" ? undefined : mapperOf(right, criteria);
    if (mapper !== undefined && right.kind !== "join") {
      // A join to the entity: its criteria join the ON clause, as SQLAlchemy places them.
      const where = criteriaFor(criteria, mapper, right);
      if (where !== undefined) {
        on = and(new Expression<boolean>(on), where).node;
        covered.add(right);
      }
    }
    return left === from.left && right === from.right && on === from.on ? from : freeze({ ...from, left, right, on });
  };
  return froms.map(visit);
}

function mapperOf(from: TableNode | AliasNode, criteria: readonly EntityCriteria[]): Mapper | undefined {
  const table = from.kind === "table" ? from : from.of.kind === "table" ? from.of : undefined;
  return criteria.find((c) => c.mapper.table.node === table)?.mapper;
}

/** The WHERE for the selected entities read from FROM items no join covered. */
export function whereForEntities(entities: readonly EntityLike[], criteria: readonly EntityCriteria[], covered: ReadonlySet<TableNode | AliasNode>): ExprNode | undefined {
  let out: Predicate | undefined;
  const done = new Set<TableNode | AliasNode>();
  for (const e of entities) {
    if (covered.has(e.fromNode) || done.has(e.fromNode)) continue;
    done.add(e.fromNode);
    const where = criteriaFor(criteria, e.mapper, e.fromNode);
    if (where !== undefined) out = out === undefined ? where : and(out, where);
  }
  return out?.node;
}
