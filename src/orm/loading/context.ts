/** The state of one ORM load: which session, which objects were reached at which path. */
import type { QueryResult } from "../../core/engine/types.js";
import type { StatementNode } from "../../core/sql/nodes.js";
import type { InstanceState, SessionLink } from "../mapping/instance-state.js";
import type { Mapper } from "../mapping/mapper.js";
import type { IdentityMap } from "../session/identity-map.js";
import { keepShape } from "../mapping/shapes.js";

/** What loading needs from a session (the session implements it; loading never imports it). */
export interface LoadingSession {
  readonly identityMap: IdentityMap;
  readonly link: SessionLink;
  run(statement: StatementNode, values?: Readonly<Record<string, unknown>>): Promise<QueryResult>;
}

export class LoadContext {
  /** With populateExisting: the objects already overwritten in this load (each only once). */
  readonly refreshed = new Set<InstanceState>();
  constructor(
    readonly session: LoadingSession,
    readonly populateExisting: boolean,
    /** The parent statement, for subqueryload (which re-runs it as a subquery). */
    readonly rootSelect: import("../../core/sql/nodes.js").SelectNode | undefined,
  ) {}

  lookup(mapper: Mapper, key: unknown): object | undefined {
    return this.session.identityMap.get(mapper, key);
  }
}

// A load context that is never used keeps its hidden class alive between loads, so the loaders
// compiled against it survive a GC that finds no load running (see mapping/shapes.ts).
keepShape(new LoadContext(undefined as unknown as LoadingSession, false, undefined));

