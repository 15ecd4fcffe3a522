/**
 * Works out how two mapped tables join, from their foreign keys (SQLAlchemy's join condition
 * analysis, reduced to the cases it handles without hints): a foreign key on the target makes a
 * one-to-many (or a one-to-one with `one()`), a foreign key on the parent makes a many-to-one,
 * a `secondary` table with keys to both makes a many-to-many. A self-referential table takes its
 * direction from `many()` (children) or `one()` (parent).
 */
import type { ColumnSpec, Table } from "../../core/schema/table.js";
import { MappingError } from "../errors.js";
import type { Direction, Mapper, RelationshipDeclaration } from "./mapper.js";

type Pair = readonly [ColumnSpec, ColumnSpec];

/** Pairs [fk column of `from`, referenced column of `to`] for every foreign key from `from` to `to`. */
function foreignKeys(from: Table, to: Table, only?: string): Pair[] {
  const pairs: Pair[] = [];
  for (const col of from.columns) {
    const fk = col.foreignKey;
    if (!fk) continue;
    const [table, column] = fk.target.split(".");
    if (table !== to.name) continue;
    if (only !== undefined && col.name !== only) continue;
    const referenced = to.columns.find((c) => c.name === (column ?? to.primaryKey[0]?.name));
    if (!referenced) throw new MappingError(`Foreign key ${from.name}.${col.name} references ${fk.target}, which does not exist.`);
    pairs.push([col, referenced]);
  }
  return pairs;
}

export interface JoinAnalysis {
  readonly direction: Direction;
  readonly pairs: readonly Pair[];
  readonly secondaryPairs: readonly Pair[];
}

export function analyseJoin(parent: Mapper, target: Mapper, decl: RelationshipDeclaration, secondary: Table | undefined): JoinAnalysis {
  const where = `${parent.name}.${decl.key}`;
  const hint = decl.options.foreignKey;
  if (secondary !== undefined) {
    const toParent = foreignKeys(secondary, parent.table);
    const toTarget = foreignKeys(secondary, target.table);
    if (parent === target) {
      throw new MappingError(`${where}: self-referential many-to-many through "${secondary.name}" is ambiguous; declare the association table's keys to two different tables.`);
    }
    if (toParent.length === 0 || toTarget.length === 0) {
      throw new MappingError(
        `${where}: the secondary table "${secondary.name}" needs a foreign key to "${parent.table.name}" and one to "${target.table.name}" ` +
          `(declare them with .references("${parent.table.name}.${parent.primaryKey[0]?.spec.name ?? "id"}")).`,
      );
    }
    return {
      direction: "many-to-many",
      pairs: toParent.map(([s, p]) => [p, s] as const),
      secondaryPairs: toTarget.map(([s, t]) => [s, t] as const),
    };
  }
  const onTarget = foreignKeys(target.table, parent.table, hint);
  const onParent = parent === target ? onTarget : foreignKeys(parent.table, target.table, hint);
  if (parent === target) {
    if (onTarget.length === 0) throw new MappingError(`${where}: "${parent.table.name}" has no foreign key to itself; add .references("${parent.table.name}.id") to the parent column.`);
    // Self-referential: many() is the children (one-to-many), one() the parent (many-to-one).
    return decl.many
      ? { direction: "one-to-many", pairs: onTarget.map(([fk, key]) => [key, fk] as const), secondaryPairs: [] }
      : { direction: "many-to-one", pairs: onTarget, secondaryPairs: [] };
  }
  if (onTarget.length > 0 && onParent.length > 0) {
    throw new MappingError(`${where}: "${parent.table.name}" and "${target.table.name}" have foreign keys to each other; name the one this relationship uses with { foreignKey: "<column>" }.`);
  }
  if (onTarget.length > 0) {
    return { direction: "one-to-many", pairs: onTarget.map(([fk, key]) => [key, fk] as const), secondaryPairs: [] };
  }
  if (onParent.length > 0) {
    if (decl.many) throw new MappingError(`${where}: the foreign key is on "${parent.table.name}", so each ${parent.name} has at most one ${target.name}; declare it with one("${target.name}"), not many().`);
    return { direction: "many-to-one", pairs: onParent, secondaryPairs: [] };
  }
  throw new MappingError(
    `${where}: could not determine the join condition between "${parent.table.name}" and "${target.table.name}": neither has a foreign key to the other. ` +
      `Add .references("${parent.table.name}.${parent.primaryKey[0]?.spec.name ?? "id"}") to the foreign-key column of "${target.table.name}" ` +
      `(or the reverse), or give { secondary: "<association table>" } for a many-to-many.`,
  );
}
