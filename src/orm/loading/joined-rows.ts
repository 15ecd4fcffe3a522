/**
 * Rows to relationships for eager joins: each row carries, after its entity columns, the columns
 * of every joined target; this fills each parent's relationship from them. Shared by the ORM
 * select (load-entities.ts) and by the keyed loaders' batch queries with joined steps below them.
 */
import { setRaw } from "../mapping/backrefs.js";
import { STATE, type Instrumented } from "../mapping/instance-state.js";
import type { LoadContext } from "./context.js";
import { instanceFromRow } from "./hydrate.js";
import type { JoinedSlot } from "./query-builder.js";

const arrayPush = Array.prototype.push;

interface CollectionFill {
  readonly list: object[];
  readonly seen: Set<object>;
}

/**
 * Per joined collection: the list being filled for each parent in this load (null: the parent's
 * collection was already loaded and is kept, as SQLAlchemy keeps loaded attributes).
 */
export type JoinedFills = Map<object, CollectionFill | null>[];

export function newFills(joined: readonly JoinedSlot[]): JoinedFills {
  return joined.map(() => new Map<object, CollectionFill | null>());
}

/**
 * Fills the joined relationships of one row. `slots` holds the row's entity objects at
 * 0..base-1; the joined targets are written at base + j.
 */
export function fillJoined(
  ctx: LoadContext, row: readonly unknown[], slots: (Instrumented | null)[], base: number, joined: readonly JoinedSlot[], fills: JoinedFills,
): void {
  for (let j = 0; j < joined.length; j++) {
    const { parentSlot, child, offset } = joined[j]!;
    const parent = slots[parentSlot] ?? null;
    const target = parent === null ? null : instanceFromRow(ctx, child.rel.target, row, offset, child.node);
    slots[base + j] = target;
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
}
