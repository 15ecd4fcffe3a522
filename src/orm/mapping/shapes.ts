/**
 * Keeps one synthetic object of each hot hidden class alive for the life of the process.
 *
 * V8 compiles hot code against hidden classes (maps) and holds the maps it reaches by transition
 * (a property added to a fresh object, a prototype set on an array) only weakly. A short session
 * creates its objects, and when all of them are garbage the next full GC collects those maps too,
 * which discards every piece of optimized code that depended on them ("deoptimizing ... reason:
 * weak objects"). The next session then runs the loader and flush code in the interpreter and
 * compiles it again: with a GC between sessions (the benchmark forces one before each run) that
 * cost a fresh 10,000-row insert about 200 ms of compilation every time. One exemplar per shape
 * keeps the maps, so the compiled code survives from one session to the next.
 *
 * The exemplars are made the way real objects are, without running user code: a loaded object
 * as hydrate.ts makes it, a constructed one by the base constructor with the class as new.target
 * (what `new User()` does before any subclass constructor), and collections, empty and not.
 */
import { adoptCollection } from "./collection.js";
import { ENTITY } from "./entity-key.js";
import { InstanceState, STATE, type Instrumented } from "./instance-state.js";
import type { Mapper } from "./mapper.js";

const kept: object[] = [];
const done = new WeakSet<Mapper>();

/** Keeps `obj` (a never-used exemplar of a per-session class) alive, with the maps it uses. */
export function keepShape(obj: object): void {
  kept.push(obj);
}

export function keepShapes(mapper: Mapper): void {
  const cls = mapper.cls;
  if (cls === undefined || done.has(mapper)) return;
  done.add(mapper);
  const loaded = Object.create(cls.prototype as object) as Instrumented;
  loaded[STATE] = new InstanceState(mapper, [], "detached");
  kept.push(loaded);
  // The class that declared the entity (it holds ENTITY itself): its constructor only sets the state.
  let base: unknown = cls;
  while (typeof base === "function" && !Object.prototype.hasOwnProperty.call(base, ENTITY)) base = Object.getPrototypeOf(base);
  if (typeof base === "function") kept.push(Reflect.construct(base as new () => object, [], cls as unknown as new () => object));
  // Empty and non-empty arrays have different elements kinds, hence different maps.
  for (const list of [[], [loaded]] as unknown[][]) {
    adoptCollection(list, loaded, 0);
    kept.push(list);
  }
}
