/**
 * Re-pointing the columns of an expression: criteria written against a table, read from the alias
 * a join uses (SQLAlchemy's ClauseAdapter), or from the LIMIT wrapper that renamed them.
 */
import { leafFroms } from "../../core/compiler/compiler.js";
import { Expression, type Predicate } from "../../core/sql/expression.js";
import { freeze, type AliasNode, type ColumnNode, type ExprNode, type FromNode, type TableNode } from "../../core/sql/nodes.js";

/** `criteria` with the columns of each table in `swaps` read from its replacement. */
export function adaptCriteria(criteria: Predicate, swaps: ReadonlyMap<TableNode, TableNode | AliasNode>): Predicate {
  const node = adaptColumns(criteria.node, (col) => {
    const to = swaps.get(col.from as TableNode);
    return to === undefined || to === col.from ? col : freeze({ ...col, from: to });
  }, (from) => swaps.has(from as TableNode));
  return node === criteria.node ? criteria : new Expression<boolean>(node, criteria.sqlType);
}

/**
 * `expr` with every column node passed through `map` (unchanged subtrees are kept as they are).
 * A subquery that selects FROM a table `reads` names refers to its own rows: it is left alone.
 */
export function adaptColumns(expr: ExprNode, map: (col: ColumnNode) => ColumnNode, reads: (from: TableNode | AliasNode) => boolean = () => false): ExprNode {
  const adapt = (value: unknown): unknown => {
    if (Array.isArray(value)) {
      const items = value.map(adapt);
      return items.some((v, i) => v !== value[i]) ? freeze(items) : value;
    }
    if (typeof value !== "object" || value === null || typeof (value as { kind?: unknown }).kind !== "string") return value;
    const node = value as { readonly kind: string } & Record<string, unknown>;
    if (node.kind === "column") return map(node as unknown as ColumnNode);
    // Binds carry values, tables and aliases are FROM items; a subquery that selects FROM one of
    // the tables itself refers to its own rows, not the joined ones.
    if (node.kind === "bind" || node.kind === "table" || node.kind === "alias") return node;
    if (node.kind === "select" && (node.from as readonly FromNode[]).some((f) => leafFroms(f).some((l) => reads(l)))) return node;
    let changed = false;
    const copy: Record<string, unknown> = {};
    for (const [key, v] of Object.entries(node)) {
      const adapted = key === "type" ? v : adapt(v);
      if (adapted !== v) changed = true;
      copy[key] = adapted;
    }
    return changed ? freeze(copy) : node;
  };
  return adapt(expr) as ExprNode;
}
