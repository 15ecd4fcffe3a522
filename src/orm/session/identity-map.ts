/**
 * One object per (entity, primary key) per session. Keys are the primary-key value itself (or a
 * string for composite keys; see mapping/identity-key.ts), one Map per mapper. The map holds its
 * objects strongly for the session's life (SQLAlchemy's is weak): sessions are short-lived, and a
 * strong Map is far cheaper per object than WeakRefs; `expunge` and `close` release objects.
 */
import type { Mapper } from "../mapping/mapper.js";

export class IdentityMap {
  private readonly maps = new Map<Mapper, Map<unknown, object>>();

  private mapFor(mapper: Mapper): Map<unknown, object> {
    let map = this.maps.get(mapper);
    if (map === undefined) {
      map = new Map();
      this.maps.set(mapper, map);
    }
    return map;
  }

  get(mapper: Mapper, key: unknown): object | undefined {
    return this.maps.get(mapper)?.get(key);
  }

  set(mapper: Mapper, key: unknown, obj: object): void {
    this.mapFor(mapper).set(key, obj);
  }

  delete(mapper: Mapper, key: unknown): void {
    this.maps.get(mapper)?.delete(key);
  }

  /** Every object, without a generator (close() visits each object of a large session once). */
  forEach(fn: (obj: object) => void): void {
    for (const map of this.maps.values()) for (const obj of map.values()) fn(obj);
  }

  *all(): Generator<object, void, undefined> {
    for (const map of this.maps.values()) yield* map.values();
  }

  get size(): number {
    let n = 0;
    for (const map of this.maps.values()) n += map.size;
    return n;
  }

  clear(): void {
    this.maps.clear();
  }
}
