/**
 * Runs an ORM select: one query for the rows (with any eager joins), objects from the identity
 * map, then the post-load strategies level by level (one batch query per relationship per level).
 */
import { setRaw } from "../mapping/backrefs.js";
import { STATE, type Instrumented } from "../mapping/instance-state.js";
import { compileOrmSelect, type CompiledQuery } from "../query/compile.js";
import type { EntitySelect } from "../query/select.js";
import type { LoadContext, LoadingSession } from "./context.js";
import { LoadContext as Context } from "./context.js";
import { instanceFromRow } from "./hydrate.js";
import { runPostLoads } from "./post-load.js";

const arrayPush = Array.prototype.push;

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

interface CollectionFill {
  readonly list: object[];
  readonly seen: Set<object>;
}

function processRows(ctx: LoadContext, compiled: CompiledQuery, raw: readonly unknown[][]): unknown[][] {
  const { items, joined } = compiled;
  const out = new Array<unknown[]>(raw.length);
  const slots = new Array<Instrumented | null>(items.length + joined.length);
  // Per joined collection: the list being filled for each parent in this load (null: the parent's
  // collection was already loaded and is kept, as SQLAlchemy keeps loaded attributes).
  const fills = joined.map(() => new Map<object, CollectionFill | null>());
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
    for (let j = 0; j < joined.length; j++) {
      const { parentSlot, child, offset } = joined[j]!;
      const parent = slots[parentSlot] ?? null;
      const target = parent === null ? null : instanceFromRow(ctx, child.rel.target, row, offset, child.node);
      slots[items.length + j] = target;
      if (parent === null) continue;
      const rel = child.rel;
      if (rel.uselist) {
        let fill = fills[j]!.get(parent);
        if (fill === undefined) {
          const loaded = parent[STATE].rels?.[rel.index] !== undefined;
          fill = loaded && !ctx.populateExisting ? null : { list: [], seen: new Set() };
          if (fill !== null) setRaw(parent, rel, fill.list);
          fills[j]!.set(parent, fill);
        }
        if (fill !== null && target !== null && !fill.seen.has(target)) {
          fill.seen.add(target);
          // The list is already the parent's Collection: bypass its change tracking while loading.
          arrayPush.call(fill.list, target);
        }
      } else if (parent[STATE].rels?.[rel.index] === undefined || ctx.populateExisting) {
        setRaw(parent, rel, target);
      }
    }
    out[r] = result;
  }
  return out;
}
