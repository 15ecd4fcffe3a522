/**
 * The property accessors every entity prototype gets: column getters read the state's values
 * array, relationship getters its rels array. The slow paths (expired, not loaded, detached) are
 * delegated to loading/unloaded.ts so the hot path stays two array reads.
 */
import { ArgumentError } from "../../core/errors.js";
import { onExpiredColumn, onUnloadedRelationship } from "../loading/unloaded.js";
import { assignRelationship } from "./backrefs.js";
import { EXPIRED, NOT_SET, STATE, type Instrumented } from "./instance-state.js";
import type { ColumnProperty, Mapper } from "./mapper.js";

function defineColumn(proto: object, mapper: Mapper, prop: ColumnProperty): void {
  const i = prop.index;
  Object.defineProperty(proto, prop.key, {
    configurable: true,
    enumerable: true,
    get(this: Instrumented) {
      const state = this[STATE];
      const value = state.values[i];
      if (value === EXPIRED) return onExpiredColumn(this, state, prop);
      return value === NOT_SET ? undefined : value;
    },
    set(this: Instrumented, value: unknown) {
      if (value === undefined) {
        throw new ArgumentError(`${mapper.name}.${prop.key} cannot be set to undefined; use null for NULL.`);
      }
      const state = this[STATE];
      const old = state.values[i];
      if (old === value) return;
      if (state.status === "persistent" || state.status === "deleted") {
        state.changes ??= new Map();
        if (!state.changes.has(i)) state.changes.set(i, old);
        state.session?.markDirty(this);
      }
      state.values[i] = value;
    },
  });
}

export function installAccessors(proto: object, mapper: Mapper): void {
  for (const prop of mapper.columns) defineColumn(proto, mapper, prop);
  mapper.relationshipDeclarations.forEach((decl, index) => {
    Object.defineProperty(proto, decl.key, {
      configurable: true,
      enumerable: true,
      get(this: Instrumented) {
        const state = this[STATE];
        const value = state.rels?.[index];
        if (value !== undefined) return value;
        return onUnloadedRelationship(this, state, mapper.relationship(decl.key));
      },
      set(this: Instrumented, value: unknown) {
        assignRelationship(this, mapper.relationship(decl.key), value);
      },
    });
  });
}
