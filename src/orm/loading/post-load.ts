/**
 * After the rows: walks the path tree breadth-first. At each node the post-load strategies
 * (selectin, subquery, immediate) load their relationship for all the objects reached at that
 * node, then the objects they reached become the parents of the next level.
 */
import { STATE, type Instrumented } from "../mapping/instance-state.js";
import type { RelationshipProperty } from "../mapping/mapper.js";
import type { LoadContext } from "./context.js";
import type { PathNode } from "./path-options.js";
import { loadImmediate } from "./strategies/immediate.js";
import { loadSelectIn } from "./strategies/select-in.js";
import { loadSubquery } from "./strategies/subquery.js";

export interface PostLoadLevel {
  readonly node: PathNode;
  readonly parents: readonly Instrumented[];
}

/** The distinct objects `rel` holds across `parents` (only where it is loaded). */
export function gather(parents: readonly Instrumented[], rel: RelationshipProperty): Instrumented[] {
  const seen = new Set<Instrumented>();
  const out: Instrumented[] = [];
  for (const p of parents) {
    const value = p[STATE].rels?.[rel.index];
    if (value === undefined || value === null) continue;
    if (rel.uselist) {
      for (const c of value as Instrumented[]) if (!seen.has(c)) { seen.add(c); out.push(c); }
    } else if (!seen.has(value as Instrumented)) {
      seen.add(value as Instrumented);
      out.push(value as Instrumented);
    }
  }
  return out;
}

export async function runPostLoads(ctx: LoadContext, roots: readonly PostLoadLevel[], values?: Readonly<Record<string, unknown>>): Promise<void> {
  const queue = [...roots];
  while (queue.length > 0) {
    const { node, parents } = queue.shift()!;
    if (parents.length === 0) continue;
    for (const child of node.children.values()) {
      switch (child.strategy) {
        case "selectin": await loadSelectIn(ctx, child, parents); break;
        case "subquery": await loadSubquery(ctx, child, parents, node.path.length === 0, values); break;
        case "immediate": await loadImmediate(ctx, child, parents); break;
        default: break;
      }
      if (child.node.children.size > 0) queue.push({ node: child.node, parents: gather(parents, child.rel) });
    }
  }
}
