/**
 * Turns an ORM select into the Core SELECT that runs and the plan that turns its rows into
 * objects: where each entity's columns start in the row, which eager joins were added (by the
 * joined and contains-eager strategies) and whose relationship each one fills. Cached per
 * statement object, like Core compilation.
 */
import { ArgumentError } from "../../core/errors.js";
import { freeze, type AliasNode, type ExprNode, type FromNode, type SelectNode, type TableNode } from "../../core/sql/nodes.js";
import { leafFroms } from "../../core/compiler/compiler.js";
import type { EntityLike } from "../mapping/instrumented.js";
import type { Mapper } from "../mapping/mapper.js";
import { buildPathTree, TreeRoot, type ChildLoad, type PathNode } from "../loading/path-options.js";
import { wrapForLimit } from "../loading/strategies/joined.js";
import { addEagerJoins } from "../loading/eager-joins.js";
import { QueryBuilder, type JoinedSlot } from "../loading/query-builder.js";
import type { EntitySelect } from "./select.js";
import { warn } from "../../core/compiler/from-linter.js";
import { and } from "../../core/sql/operators.js";
import { Expression } from "../../core/sql/expression.js";

export interface EntitySlot {
  readonly kind: "entity";
  readonly mapper: Mapper;
  readonly offset: number;
  readonly node: PathNode;
}
export interface ExpressionSlot {
  readonly kind: "expression";
  readonly offset: number;
}

export interface CompiledQuery {
  readonly node: SelectNode;
  readonly items: readonly (EntitySlot | ExpressionSlot)[];
  readonly joined: readonly JoinedSlot[];
  /** The statement joined-eager-loads a collection: rows repeat, `.unique()` is required. */
  readonly requiresUnique: boolean;
  /** The statement without eager joins (what subqueryload re-runs). */
  readonly baseSelect: SelectNode;
}

const cache = new WeakMap<EntitySelect<readonly unknown[]>, CompiledQuery>();

export function compileOrmSelect(stmt: EntitySelect<readonly unknown[]>): CompiledQuery {
  let compiled = cache.get(stmt);
  if (compiled === undefined) {
    compiled = build(stmt);
    cache.set(stmt, compiled);
  }
  return compiled;
}

function build(stmt: EntitySelect<readonly unknown[]>): CompiledQuery {
  const root = new TreeRoot();
  const state = stmt.state;
  let froms: readonly FromNode[] = state.from;
  const entityItems = stmt.orm.items.filter((i) => i.kind === "entity");
  const trees = new Map<EntityLike, PathNode>();
  for (const item of entityItems) trees.set(item.entity, buildPathTree(item.entity, stmt.orm.options, root));
  checkOptionsApply(stmt, trees);
  for (const tree of trees.values()) checkContainsEagerPlacement(tree, undefined);
  let criteriaWhere: ExprNode | undefined;
  for (const load of stmt.orm.options) {
    const ec = load.entityCriteria;
    if (ec === undefined) continue;
    for (const tree of trees.values()) for (const node of tree.walk()) for (const child of node.children.values()) {
      if (child.rel.target !== ec.mapper) continue;
      if (child.strategy === "joined" || child.strategy === "contains_eager") {
        throw new ArgumentError(
          `withLoaderCriteria(${ec.mapper.name}, ...) cannot apply to the joined load of ${child.rel.description} (its columns are aliased in the join); ` +
            `use selectinload(${child.rel.description}) or ${child.rel.description}.and(...) in the joinedload.`,
        );
      }
      child.criteria = child.criteria ? and(child.criteria, ec.where) : ec.where;
    }
    if (entityItems.some((i) => i.entity.mapper === ec.mapper && i.entity.fromNode === ec.mapper.table.node)) {
      criteriaWhere = criteriaWhere === undefined ? ec.where.node : and(new Expression<boolean>(criteriaWhere), ec.where).node;
    }
  }

  // A LIMIT/OFFSET/DISTINCT/GROUP BY must see parents, not joined rows: wrap first (SQLAlchemy does the same).
  const collectionJoins = [...trees.values()].some((t) => t.eagerChildren().some((c) => c.strategy === "joined" && c.rel.uselist));
  const needsWrap = collectionJoins && entityItems.length === 1 &&
    (state.limit !== undefined || state.offset !== undefined || state.distinct || state.groupBy.length > 0);
  const items: (EntitySlot | ExpressionSlot)[] = [];
  let where: ExprNode | undefined = state.where;
  if (criteriaWhere !== undefined) where = where === undefined ? criteriaWhere : and(new Expression<boolean>(where), new Expression<boolean>(criteriaWhere)).node;
  const base: SelectNode = criteriaWhere === undefined ? baseSelect(stmt) : freeze({ ...baseSelect(stmt), where });
  let orderBy = state.orderBy;
  let limit = state.limit, offset = state.offset, distinct = state.distinct, groupBy = state.groupBy, having = state.having;
  let rootEntityOverride: EntityLike | undefined;
  let wrappedColumn: ((index: number) => ExprNode) | undefined;
  if (needsWrap) {
    const wrapped = wrapForLimit(base, entityItems[0]!.entity);
    froms = [wrapped.from];
    rootEntityOverride = wrapped.entity;
    wrappedColumn = wrapped.column;
    orderBy = wrapped.orderBy;
    where = undefined; limit = undefined; offset = undefined; distinct = false; groupBy = []; having = undefined;
  }
  const qb = new QueryBuilder(froms);
  // Position in the base select's columns: a wrapped statement's expressions are read from the wrapper.
  let baseIndex = 0;
  for (const item of stmt.orm.items) {
    if (item.kind === "entity") {
      baseIndex += item.entity.columns().length;
      const entity = rootEntityOverride ?? item.entity;
      const node = trees.get(item.entity)!;
      const offsetInRow = qb.addColumns(entity);
      qb.slotFroms.push(entity.fromNode);
      items.push({ kind: "entity", mapper: entity.mapper, offset: offsetInRow, node });
    } else {
      qb.slotFroms.push(undefined);
      items.push({ kind: "expression", offset: qb.columns.length });
      qb.columns.push(wrappedColumn === undefined ? item.expr.node : wrappedColumn(baseIndex));
      baseIndex += 1;
    }
  }
  items.forEach((slot, i) => {
    if (slot.kind === "entity") addEagerJoins(qb, slot.node, i);
  });
  warnSiblingCollections(trees);
  const node: SelectNode = freeze({
    kind: "select", columns: qb.columns, from: qb.froms, where, groupBy, having, orderBy: [...orderBy, ...qb.orderBy], limit, offset, distinct,
    forUpdate: state.forUpdate,
  });
  return { node, items, joined: qb.joined, requiresUnique: qb.requiresUnique, baseSelect: base };
}

/** The statement as written (entity columns, no eager joins). */
function baseSelect(stmt: EntitySelect<readonly unknown[]>): SelectNode {
  return stmt.toSelectNode();
}

function checkOptionsApply(stmt: EntitySelect<readonly unknown[]>, trees: Map<EntityLike, PathNode>): void {
  const mappers = new Set([...trees.keys()].map((e) => e.mapper));
  for (const load of stmt.orm.options) {
    const first = load.steps[0];
    if (first === undefined || first.attribute === "*") continue;
    if (!mappers.has(first.attribute.parent.mapper)) {
      const queried = [...mappers].map((m) => m.name).join(", ") || "no entity";
      throw new ArgumentError(
        `Loader option for ${first.attribute.description} does not apply: the statement selects ${queried}. ` +
          `Start the option from a queried entity (e.g. selectinload(${[...mappers][0]?.name ?? "User"}.<relationship>)), and chain from there.`,
      );
    }
  }
}

const KEYED = new Set(["selectin", "subquery", "immediate"]);

/**
 * containsEager fills a relationship from the statement's own join; below a keyed level the rows
 * come from that level's batch query, which has no such join: refused before any SQL.
 */
function checkContainsEagerPlacement(node: PathNode, keyed: ChildLoad | undefined): void {
  for (const child of node.children.values()) {
    if (child.strategy === "contains_eager" && keyed !== undefined) {
      throw new ArgumentError(
        `containsEager(${child.rel.description}) cannot follow ${strategyLabel(keyed)}(${keyed.rel.description}): that level is loaded by its own ` +
          `batch query, which has no join to ${child.rel.target.name}. Use joinedload(${child.rel.description}) there instead.`,
      );
    }
    checkContainsEagerPlacement(child.node, KEYED.has(child.strategy) ? child : keyed);
  }
}

function strategyLabel(child: ChildLoad): string {
  return child.strategy === "selectin" ? "selectinload" : child.strategy === "subquery" ? "subqueryload" : "immediateload";
}

/** Two joined collections side by side multiply each other's rows (SQLAlchemy's row explosion). */
function warnSiblingCollections(trees: Map<EntityLike, PathNode>): void {
  for (const tree of trees.values()) {
    for (const node of tree.walk()) {
      const joinedCollections = node.eagerChildren().filter((c) => c.strategy === "joined" && c.rel.uselist);
      if (joinedCollections.length > 1) {
        const names = joinedCollections.map((c) => c.rel.description);
        warn(
          `joinedload of sibling collections ${names.join(" and ")} multiplies rows (each ${node.mapper.name} returns the product of ` +
            `their sizes). Use selectinload(${names[1]}) for all but one of them.`,
          "sibling-collections",
        );
      }
    }
  }
}
