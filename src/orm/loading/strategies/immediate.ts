/**
 * immediateload: one query per parent object, sent right after the parents load (SQLAlchemy's
 * lazy-load SQL, issued eagerly). Many-to-one targets found in the identity map need no query.
 */
import { loadCriteria } from "../entity-criteria.js";
import type { Instrumented } from "../../mapping/instance-state.js";
import type { LoadContext } from "../context.js";
import type { ChildLoad } from "../path-options.js";
import { loadKeyed } from "./select-in.js";
import { STATE } from "../../mapping/instance-state.js";

export async function loadImmediate(ctx: LoadContext, child: ChildLoad, parents: readonly Instrumented[]): Promise<void> {
  const spec = { rel: child.rel, node: child.node, criteria: loadCriteria(child), targetEntity: child.targetEntity };
  for (const parent of parents) {
    if (!ctx.populateExisting && parent[STATE].rels?.[child.rel.index] !== undefined) continue;
    await loadKeyed(ctx, spec, [parent]);
  }
}
