/**
 * containsEager: the statement already joins the target (filtered, ordered, aliased as the user
 * wrote it); its columns are added to the select list and the relationship is filled with exactly
 * the joined rows. A collection requires `.unique()`, as with joinedload.
 */
import { ArgumentError } from "../../../core/errors.js";
import type { QueryBuilder } from "../query-builder.js";
import type { ChildLoad } from "../path-options.js";

export function setupContainsEager(qb: QueryBuilder, child: ChildLoad, parentSlot: number): number {
  const rel = child.rel;
  const declared = child.targetEntity ?? rel.target.entity;
  // Under a LIMIT wrapper the joined table is inside the subquery, which passes its columns out.
  const carried = qb.wrapped.get(declared.fromNode);
  const target = carried?.entity ?? declared;
  if (carried === undefined && !qb.hasFrom(target.fromNode)) {
    throw new ArgumentError(
      `containsEager(${rel.description}) needs the statement to join ${rel.target.name}: add .join(${rel.description}) ` +
        `(or .join(${rel.description}.of(alias)) with containsEager(${rel.description}.of(alias))), or use joinedload(${rel.description}) to let Athanor write the join.`,
    );
  }
  const offset = qb.addColumns(target);
  qb.slotFroms.push(target.fromNode);
  qb.joined.push({ parentSlot, child, offset });
  if (carried?.renames !== undefined) qb.slotRenames.set(qb.slotFroms.length - 1, carried.renames);
  if (rel.uselist) qb.requiresUnique = true;
  return qb.slotFroms.length - 1;
}
