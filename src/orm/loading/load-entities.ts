/**
 * Runs an ORM select: one query for the rows (with any eager joins), objects from the identity
 * map, then the post-load strategies level by level (one batch query per relationship per level).
 */
import type { Instrumented } from "../mapping/instance-state.js";
import { compileOrmSelect, type CompiledQuery } from "../query/compile.js";
import type { EntitySelect } from "../query/select.js";
import type { LoadContext, LoadingSession } from "./context.js";
import { LoadContext as Context } from "./context.js";
import { instanceFromRow } from "./hydrate.js";
import { runPostLoads } from "./post-load.js";
import { fillJoined, newFills } from "./joined-rows.js";

export interface LoadedRows {
  readonly rows: unknown[][];
  readonly requiresUnique: boolean;
}

export async function loadEntities(
  session: LoadingSession, stmt: EntitySelect<readonly unknown[]>, values?: Readonly<Record<string, unknown>>,
): Promise<LoadedRows> {
  const compiled = compileOrmSelect(stmt);
  const result = await session.run(compiled.node, values);
  const ctx = new Context(session, stmt.orm.populateExisting, compiled.baseSelect);
  const rows = processRows(ctx, compiled, result.rows);
  const roots = compiled.items.flatMap((slot, i) => (slot.kind === "entity" ? [{ node: slot.node, parents: distinctColumn(rows, i) }] : []));
  await runPostLoads(ctx, roots, values);
  return { rows, requiresUnique: compiled.requiresUnique };
}

function distinctColumn(rows: unknown[][], i: number): Instrumented[] {
  const seen = new Set<unknown>();
  const out: Instrumented[] = [];
  for (const row of rows) {
    const obj = row[i];
    if (obj !== null && !seen.has(obj)) {
      seen.add(obj);
      out.push(obj as Instrumented);
    }
  }
  return out;
}

function processRows(ctx: LoadContext, compiled: CompiledQuery, raw: readonly unknown[][]): unknown[][] {
  const { items, joined } = compiled;
  const out = new Array<unknown[]>(raw.length);
  const slots = new Array<Instrumented | null>(items.length + joined.length);
  const fills = newFills(joined);
  const single = items.length === 1 && items[0]!.kind === "entity" ? items[0] : undefined;
  for (let r = 0; r < raw.length; r++) {
    const row = raw[r]!;
    if (single !== undefined && joined.length === 0) {
      out[r] = [instanceFromRow(ctx, single.mapper, row, single.offset, single.node)];
      continue;
    }
    const result = new Array<unknown>(items.length);
    for (let i = 0; i < items.length; i++) {
      const slot = items[i]!;
      if (slot.kind === "entity") {
        const obj = instanceFromRow(ctx, slot.mapper, row, slot.offset, slot.node);
        slots[i] = obj;
        result[i] = obj;
      } else {
        result[i] = row[slot.offset];
      }
    }
    fillJoined(ctx, row, slots, items.length, joined, fills);
    out[r] = result;
  }
  return out;
}
