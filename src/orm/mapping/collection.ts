/**
 * The array type of loaded collections (SQLAlchemy's InstrumentedList). It is a real Array, but
 * its mutating methods first remember the collection as it was, so the flush can diff it:
 * `user.orders.push(order)`, `splice`, `pop`, ... are saved like an assignment. Reading costs
 * nothing extra. Derived arrays (`map`, `filter`, `slice`) are plain arrays. Writing an index
 * directly (`orders[0] = x`) is not seen: use splice or assign the whole array.
 *
 * Items a mutator adds are checked before anything changes, and the other side of the
 * relationship (backPopulates) follows each change, as SQLAlchemy's append/remove events do:
 * `user.orders.push(order)` sets `order.user`. backrefs.ts supplies both through
 * `onMembershipChange`, so this module does not depend on it.
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

export interface MembershipListener {
  /** Throws before the change when an item cannot belong to the collection. */
  check(owner: Instrumented, index: number, added: readonly unknown[]): void;
  /** After the change: the items that joined and left the collection. */
  changed(owner: Instrumented, index: number, added: readonly unknown[], removed: readonly unknown[]): void;
}

let listener: MembershipListener | undefined;
/** True while the listener runs: the other sides it updates do not announce their changes again. */
let syncing = false;

export function onMembershipChange(next: MembershipListener): void {
  listener = next;
}

type Mutator = (...args: unknown[]) => unknown;

/** The items a call adds, as far as they are known before it runs (checked first). */
function incomingItems(name: (typeof MUTATORS)[number], args: unknown[]): unknown[] {
  if (name === "push" || name === "unshift") return args;
  if (name === "splice") return args.slice(2);
  return name === "fill" ? args.slice(0, 1) : [];
}

/** Applies one call; what it added (`incoming` for push/unshift/splice) and removed. */
function applyTracked(list: unknown[], name: (typeof MUTATORS)[number], original: Mutator, args: unknown[], incoming: unknown[]): { result: unknown; added: readonly unknown[]; removed: readonly unknown[] } {
  switch (name) {
    case "push":
    case "unshift":
      return { result: original.apply(list, args), added: incoming, removed: [] };
    case "pop":
    case "shift": {
      const length = list.length;
      const result = original.apply(list, args);
      return { result, added: [], removed: list.length < length ? [result] : [] };
    }
    case "splice": {
      const result = original.apply(list, args) as unknown[];
      return { result, added: incoming, removed: result };
    }
    case "sort":
    case "reverse":
      return { result: original.apply(list, args), added: [], removed: [] };
    default: {
      // fill / copyWithin: rare enough to diff the whole array.
      const before = Array.prototype.slice.call(list);
      const result = original.apply(list, args);
      return { result, added: list.filter((x) => !before.includes(x)), removed: before.filter((x) => !list.includes(x)) };
    }
  }
}

const MUTATORS = ["push", "pop", "shift", "unshift", "splice", "sort", "reverse", "fill", "copyWithin"] as const;
for (const name of MUTATORS) {
  const original = Array.prototype[name] as Mutator;
  Object.defineProperty(Collection.prototype, name, {
    configurable: true,
    writable: true,
    value: function (this: unknown[], ...args: unknown[]): unknown {
      const link = (this as Owned)[OWNER];
      if (link === undefined || listener === undefined || syncing) {
        beforeMutation(this);
        return original.apply(this, args);
      }
      const incoming = incomingItems(name, args);
      listener.check(link.owner, link.index, incoming);
      beforeMutation(this);
      const { result, added, removed } = applyTracked(this, name, original, args, incoming);
      if (added.length > 0 || removed.length > 0) {
        syncing = true;
        try {
          listener.changed(link.owner, link.index, added, removed);
        } finally {
          syncing = false;
        }
      }
      return result;
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
