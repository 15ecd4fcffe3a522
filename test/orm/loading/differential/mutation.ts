/**
 * A back-populated reassignment must win (issue 11, defect 6): `child.parent = u2` (u2's
 * collection never read) after u1's collection was loaded, then a change to u1's collection
 * (a new child appended), then commit: the child's foreign key is u2's key in the database, and in
 * memory it is no longer in u1's collection.
 */
import { expect } from "vitest";
import { select, selectinload, Session, type Engine, type InstrumentedColumn, type RelationshipAttribute } from "../../../../src/index.js";
import type { Dataset } from "./data.js";
import { objectKey } from "./reference.js";
import { columnsOf, pkColumns, tableName, type EntityClassOf, type FkLink, type Schema } from "./schema.js";

export interface MutationCase {
  readonly link: number;
  /** Row indexes: the child, its parent u1, the other parent u2. */
  readonly child: number;
  readonly from: number;
  readonly to: number;
}

/** A child row whose parent exists, and another parent row; undefined when the data has none. */
export function findMutation(schema: Schema, data: Dataset, pick: number): MutationCase | undefined {
  const candidates: MutationCase[] = [];
  schema.links.forEach((link, n) => {
    if (link.kind !== "fk" || link.oneToOne) return;
    const parentRows = data.rows[link.parent]!;
    if (parentRows.length < 2) return;
    const cols = pkColumns(schema.tables[link.parent]!);
    data.rows[link.child]!.forEach((row, i) => {
      const from = parentRows.findIndex((p) => cols.every((c) => p.values[c] === row.values[`l${n}_${c}`]));
      if (from >= 0) candidates.push({ link: n, child: i, from, to: (from + 1 + (pick % (parentRows.length - 1))) % parentRows.length });
    });
  });
  return candidates.length === 0 ? undefined : candidates[pick % candidates.length];
}

const where = (cls: EntityClassOf, cols: readonly string[], values: Readonly<Record<string, number | null>>) =>
  cols.map((c) => (cls[c] as InstrumentedColumn<number>).eq(values[c]!));

export async function checkMutation(engine: Engine, schema: Schema, prefix: string, classes: readonly EntityClassOf[], data: Dataset, m: MutationCase): Promise<void> {
  const link = schema.links[m.link] as FkLink;
  const parentCls = classes[link.parent]!;
  const childCls = classes[link.child]!;
  const parentPk = pkColumns(schema.tables[link.parent]!);
  const childPk = pkColumns(schema.tables[link.child]!);
  const childRow = data.rows[link.child]![m.child]!;
  const u1Row = data.rows[link.parent]![m.from]!;
  const u2Row = data.rows[link.parent]![m.to]!;
  const many = `r${m.link}c`;
  const one = `r${m.link}p`;
  const what = `T${link.child}.${one} = u2 (${objectKey(link.parent, parentPk.map((c) => u2Row.values[c]))}) for ${objectKey(link.child, childPk.map((c) => childRow.values[c]))}, then a new child appended to u1.${many}`;
  const session = new Session(engine);
  let fresh: Record<string, unknown>;
  try {
    const u1 = (await session.scalars(select(parentCls).where(...where(parentCls, parentPk, u1Row.values)).options(selectinload(parentCls[many] as RelationshipAttribute as never)))).one() as Record<string, unknown>;
    const u2 = (await session.scalars(select(parentCls).where(...where(parentCls, parentPk, u2Row.values)))).one() as Record<string, unknown>;
    const list = u1[many] as Record<string, unknown>[];
    const child = list.find((o) => childPk.every((c) => o[c] === childRow.values[c]))!;
    expect(child, `${what}: the child is not in u1's collection to begin with`).toBeDefined();
    child[one] = u2;
    // The new child copies the other foreign keys of the moved one (some may be NOT NULL).
    const init: Record<string, unknown> = { val: 1 };
    for (const c of columnsOf(schema, link.child)) {
      if (c.pk) init[c.name] = c.name === "id" ? 5000 : 0;
      else if (c.ref !== undefined && !c.name.startsWith(`l${m.link}_`)) init[c.name] = childRow.values[c.name];
    }
    fresh = new (childCls as unknown as new (init: Record<string, unknown>) => object)(init) as Record<string, unknown>;
    list.push(fresh);
    await session.flush();
    expect((u1[many] as unknown[]).includes(child), `${what}: the child is still in u1's collection`).toBe(false);
    expect(child[one], `${what}: child.${one} is no longer u2`).toBe(u2);
    await session.commit();
  } finally {
    await session.close();
  }
  const fkCols = parentPk.map((c) => `l${m.link}_${c}`);
  const read = async (pk: readonly number[]) => {
    const result = await engine.execute({ sql: `SELECT ${fkCols.join(", ")} FROM ${tableName(prefix, link.child)} WHERE ${childPk.map((c, i) => `${c} = ${pk[i]}`).join(" AND ")}`, params: [] });
    return (result.rows[0] as unknown[] | undefined)?.map((v) => (v === null ? null : Number(v)));
  };
  expect(await read(childPk.map((c) => childRow.values[c]!)), `${what}: the moved child's foreign key in the database`).toEqual(parentPk.map((c) => u2Row.values[c]));
  expect(await read(childPk.map((c) => (c === "id" ? 5000 : 0))), `${what}: the new child's foreign key in the database`).toEqual(parentPk.map((c) => u1Row.values[c]));
}
