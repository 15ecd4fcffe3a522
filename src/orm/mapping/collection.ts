/**
 * The array type of loaded collections (SQLAlchemy's InstrumentedList). It is a real Array, but
 * its mutating methods first remember the collection as it was, so the flush can diff it:
 * `user.orders.push(order)`, `splice`, `pop`, ... are saved like an assignment. Reading costs
 * nothing extra. Derived arrays (`map`, `filter`, `slice`) are plain arrays. Writing an index
 * directly (`orders[0] = x`) is not seen: use splice or assign the whole array.
 */
import { STATE, type Instrumented } from "./instance-state.js";

const OWNER: unique symbol = Symbol("athanor.collection-owner");

interface Owned {
  [OWNER]?: { readonly owner: Instrumented; readonly index: number };
}

export class Collection<T> extends Array<T> {
  static override get [Symbol.species](): ArrayConstructor {
    return Array;
  }
}

/** Records the collection's contents before its first in-place change since the last flush. */
function beforeMutation(list: unknown[]): void {
  const link = (list as Owned)[OWNER];
  if (link === undefined) return;
  const state = link.owner[STATE];
  if (state.status !== "persistent" || state.relSnapshots?.has(link.index) === true) return;
  state.relSnapshots ??= new Map();
  state.relSnapshots.set(link.index, Array.prototype.slice.call(list) as object[]);
  state.session?.markDirty(link.owner);
}

const MUTATORS = ["push", "pop", "shift", "unshift", "splice", "sort", "reverse", "fill", "copyWithin"] as const;
for (const name of MUTATORS) {
  const original = Array.prototype[name] as (...args: unknown[]) => unknown;
  Object.defineProperty(Collection.prototype, name, {
    configurable: true,
    writable: true,
    value: function (this: unknown[], ...args: unknown[]): unknown {
      beforeMutation(this);
      return original.apply(this, args);
    },
  });
}

/**
 * Turns the array a loader or an assignment built into `owner`'s collection at `index`, in place
 * (no copy): the loaders build plain arrays, which are cheapest to fill.
 */
export function adoptCollection(list: unknown[], owner: Instrumented, index: number): void {
  Object.setPrototypeOf(list, Collection.prototype);
  // Non-enumerable, so equality helpers and JSON see only the items.
  Object.defineProperty(list, OWNER, { value: { owner, index }, configurable: true });
}
