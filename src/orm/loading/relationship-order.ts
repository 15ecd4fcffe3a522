/**
 * A relationship's declared `orderBy` ("createdAt desc, id") as ORDER BY terms on the FROM item
 * the target is read from: the table in a batch query, the anonymous alias in a joined load.
 * Every strategy orders a collection by it (issue 11, defect 3).
 */
import { freeze, type AliasNode, type OrderByNode, type TableNode } from "../../core/sql/nodes.js";
import { MappingError } from "../errors.js";
import { columnOf } from "../mapping/join-condition.js";
import type { RelationshipProperty } from "../mapping/mapper.js";

export function relationshipOrderBy(rel: RelationshipProperty, from: TableNode | AliasNode): OrderByNode[] {
  const spec = rel.options.orderBy;
  if (spec === undefined) return [];
  return spec.split(",").map((part) => {
    const [key, dir] = part.trim().split(/\s+/);
    const col = rel.target.columnsByKey.get(key!) ?? rel.target.columnsByName.get(key!);
    if (!col) throw new MappingError(`${rel.description}: orderBy names "${key}", which is not a column of ${rel.target.name}.`);
    return freeze({ kind: "order-by", expr: columnOf(from, col.spec).node, direction: dir?.toUpperCase() === "DESC" ? "DESC" : "ASC", nulls: undefined });
  });
}
