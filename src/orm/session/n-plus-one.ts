/**
 * N+1 detection. Athanor never loads lazily, so the N+1 pattern cannot hide in an attribute read:
 * it can only be written out, as a loop that calls `session.load(order, "products")` for one
 * object at a time. Each such call is one query per level, where a single call for all the
 * objects (or a loader option on the query that loaded them) is one query per level in total.
 *
 * The session counts single-object loads of a relationship that was not loaded yet, per entity
 * and path. At the tenth in one session it reports once, naming the entity, the relationship and
 * both fixes: a warning by default (`AthanorWarning`, code "n-plus-one", through setWarningSink),
 * or an NPlusOneError before the query runs with `new Session(engine, { nPlusOne: "raise" })`,
 * which a test suite can set so the pattern fails before it ships.
 */
import { warn } from "../../core/compiler/from-linter.js";
import { NPlusOneError } from "../errors.js";
import { STATE, type Instrumented } from "../mapping/instance-state.js";
import { pathSteps, type LoadPath } from "./explicit-load.js";

export type NPlusOneMode = "warn" | "raise" | "ignore";

/** Single-object loads of one relationship path in one session before it is reported. */
export const N_PLUS_ONE_THRESHOLD = 10;

export class NPlusOneDetector {
  private readonly counts = new Map<string, number>();

  constructor(private readonly mode: NPlusOneMode) {}

  /** Called by session.load() before it loads; throws in "raise" mode when the threshold is reached. */
  record(objects: readonly Instrumented[], paths: readonly LoadPath[]): void {
    if (this.mode === "ignore" || objects.length !== 1) return;
    const state = objects[0]![STATE];
    for (const path of paths) {
      const steps = pathSteps(state.mapper, path);
      const first = steps[0];
      const rel = state.mapper.relationships.find((r) => r.key === first);
      // An unknown name is explicitLoad's error to report; an already loaded relationship sends no
      // query for this path, so the call is not part of an N+1.
      if (first === undefined || rel === undefined || state.rels?.[rel.index] !== undefined) continue;
      const dotted = steps.join(".");
      const key = `${state.mapper.name}\u0000${dotted}`;
      const count = (this.counts.get(key) ?? 0) + 1;
      this.counts.set(key, count);
      if (count !== N_PLUS_ONE_THRESHOLD) continue;
      const message = explain(state.mapper.name, first, dotted, count);
      if (this.mode === "raise") throw new NPlusOneError(message);
      warn(message, "n-plus-one");
    }
  }
}

function explain(entity: string, first: string, dotted: string, count: number): string {
  const list = plural(entity.charAt(0).toLowerCase() + entity.slice(1));
  return (
    `N+1 detected: session.load() loaded ${entity}.${first} ("${dotted}") for one ${entity} at a time, ${count} times in this session, ` +
    `one query per object. Load them together: await session.load(${list}, "${dotted}") with the whole list runs one query per level; ` +
    `or add selectinload(${entity}.${first}) to the options of the query that loaded them.`
  );
}

/** "user" -> "users", "category" -> "categories": a readable name for the list in the message. */
function plural(name: string): string {
  if (/[^aeiou]y$/.test(name)) return `${name.slice(0, -1)}ies`;
  return /(s|x|ch|sh)$/.test(name) ? `${name}es` : `${name}s`;
}
