/**
 * Row to object: the identity map is consulted for every row (one object per primary key per
 * session); a new object copies its columns out of the row with one slice; an existing object
 * only gets attributes that are expired, unless the statement asked for populateExisting.
 */
import { compositeKey } from "../mapping/identity-key.js";
import { EXPIRED, InstanceState, STATE, type Instrumented } from "../mapping/instance-state.js";
import type { Mapper } from "../mapping/mapper.js";
import type { LoadContext } from "./context.js";
import type { PathNode } from "./path-options.js";

export function rowKey(mapper: Mapper, row: readonly unknown[], offset: number): unknown {
  const pk = mapper.primaryKey;
  if (pk.length === 1) return row[offset + pk[0]!.index];
  const values = pk.map((c) => row[offset + c.index]);
  return values.some((v) => v === null) ? null : compositeKey(values);
}

export function instanceFromRow(ctx: LoadContext, mapper: Mapper, row: readonly unknown[], offset: number, node: PathNode): Instrumented | null {
  const key = rowKey(mapper, row, offset);
  // An outer join with no match gives NULL keys: no object.
  if (key === null || key === undefined) return null;
  const n = mapper.columns.length;
  const existing = ctx.lookup(mapper, key) as Instrumented | undefined;
  if (existing !== undefined) {
    const state = existing[STATE];
    if (ctx.populateExisting) {
      if (!ctx.refreshed.has(state)) {
        ctx.refreshed.add(state);
        state.values = row.slice(offset, offset + n);
        state.changes = undefined;
        state.rels = undefined;
        state.relSnapshots = undefined;
        state.expired = false;
        // As SQLAlchemy: a populate-existing load with loader options replaces the options the
        // object was loaded with (raiseload() then applies to it); one without keeps the original.
        if (carriesOptions(node)) state.loadOptions = node;
      }
    } else if (state.expired) {
      for (let i = 0; i < n; i++) if (state.values[i] === EXPIRED && !state.changes?.has(i)) state.values[i] = row[offset + i];
      state.expired = state.values.includes(EXPIRED);
    }
    return existing;
  }
  const obj = Object.create(mapper.cls!.prototype as object) as Instrumented;
  const values = offset === 0 && row.length === n ? (row as unknown[]) : row.slice(offset, offset + n);
  const state = new InstanceState(mapper, values, "persistent");
  state.session = ctx.session.link;
  state.identityKey = key;
  state.loadOptions = node;
  obj[STATE] = state;
  ctx.session.identityMap.set(mapper, key, obj);
  return obj;
}

function carriesOptions(node: PathNode): boolean {
  if (node.wildcard !== undefined || node.root.queryWide !== undefined) return true;
  for (const child of node.children.values()) if (!child.fromDefault) return true;
  return false;
}
