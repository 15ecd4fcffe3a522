/**
 * Many-to-many association rows in a flush: each collection is diffed against the snapshot user
 * code first saw (or replaced whole when it was assigned unread), removed pairs are deleted at
 * once, and added pairs are collected across the flush into one INSERT per secondary table.
 */
import type { QueryResult } from "../../core/engine/types.js";
import type { Table } from "../../core/schema/table.js";
import { delete_, insert } from "../../core/sql/dml.js";
import type { StatementNode } from "../../core/sql/nodes.js";
import { and } from "../../core/sql/operators.js";
import { STATE, type Instrumented } from "../mapping/instance-state.js";
import { columnOf } from "../mapping/join-condition.js";

/** What the association writes need of the flushing session. */
interface StatementRunner {
  run(statement: StatementNode): Promise<QueryResult>;
}

/** Whether collectAssociations() would look at any many-to-many relationship of `obj` (its skip rule). */
export function hasAssociationWork(obj: Instrumented, isNew: boolean): boolean {
  const state = obj[STATE];
  for (const rel of state.mapper.relationships) {
    if (rel.direction !== "many-to-many" || obj[STATE].rels?.[rel.index] === undefined) continue;
    if (isNew || state.relSnapshots?.get(rel.index) !== undefined || state.relChanges?.has(rel.index)) return true;
  }
  return false;
}

/** Association rows to write, per secondary table, deduplicated (both sides of a back-populated many-to-many name each pair). */
export type AssociationRows = Map<Table, Map<string, Record<string, unknown>>>;

export async function collectAssociations(session: StatementRunner, obj: Instrumented, isNew: boolean, rows: AssociationRows): Promise<void> {
  const state = obj[STATE];
  for (const rel of state.mapper.relationships) {
    if (rel.direction !== "many-to-many") continue;
    const value = obj[STATE].rels?.[rel.index] as Instrumented[] | undefined;
    const snapshot = isNew ? undefined : (state.relSnapshots?.get(rel.index) as Instrumented[] | undefined);
    if (value === undefined || (!isNew && snapshot === undefined && !state.relChanges?.has(rel.index))) continue;
    const secondary = rel.secondary!;
    const parentCols = rel.pairs.map(([local, s]) => ({ s, v: state.values[state.mapper.columnFor(local).index] }));
    let added: readonly Instrumented[] = value;
    if (snapshot !== undefined) {
      // Diff against the collection as user code first saw it: push/splice/assignment alike.
      const now = new Set(value);
      const before = new Set(snapshot);
      added = value.filter((t) => !before.has(t));
      for (const gone of snapshot.filter((t) => !now.has(t))) {
        const gs = gone[STATE];
        const where = and(
          ...parentCols.map(({ s, v }) => columnOf(secondary.node, s).eq(v)),
          ...rel.secondaryPairs.map(([sc, t]) => columnOf(secondary.node, sc).eq(gs.values[gs.mapper.columnFor(t).index])),
        );
        await session.run(delete_(secondary).where(where).node);
      }
    } else if (!isNew) {
      // Replaced without ever being read: the association rows become exactly its items.
      await session.run(delete_(secondary).where(and(...parentCols.map(({ s, v }) => columnOf(secondary.node, s).eq(v)))).node);
    }
    const forTable = rows.get(secondary) ?? new Map<string, Record<string, unknown>>();
    rows.set(secondary, forTable);
    for (const target of added) {
      const ts = target[STATE];
      const row: Record<string, unknown> = {};
      for (const { s, v } of parentCols) row[s.name] = v;
      for (const [s, t] of rel.secondaryPairs) row[s.name] = ts.values[ts.mapper.columnFor(t).index];
      const key = secondary.columns.map((c) => String(row[c.name])).join("\u0000");
      forTable.set(key, row);
    }
  }
}

/** One INSERT per association table for the whole flush. */
export async function writeAssociations(session: StatementRunner, rows: AssociationRows): Promise<void> {
  for (const [table, byKey] of rows) {
    const list = [...byKey.values()];
    if (list.length === 0) continue;
    const columns = Object.keys(list[0]!);
    const stmt = list.length === 1 ? insert(table).values(list[0]!) : insert(table).fromArrays(columns, columns.map((c) => list.map((r) => r[c])));
    await session.run(stmt.node);
  }
}
