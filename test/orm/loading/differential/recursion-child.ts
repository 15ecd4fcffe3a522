/**
 * A child process for the recursionDepth: -1 cases (run with `node --import tsx`). An endless
 * loop without SQL (issue 11, defect 4) never yields to the event loop, so no timer in the test
 * process could stop it: here the parent kills the process instead.
 *
 * Protocol (IPC): { url } first, then { ddl, sql, schema, prefix, root, rel } per case; each
 * answer is { graph: { [key]: childKeys[] | "NOT LOADED" }, statements } or { error }. Between
 * them it sends { beat: true } every 250 ms.
 */
import { createEngine, select, selectinload, Session, type Engine, type InstrumentedColumn, type RelationshipAttribute } from "../../../../src/index.js";
import { captureStatements } from "../../../../src/testing/assert-sql.js";
import { objectKey } from "./reference.js";
import { declareSchema, pkColumns, type EntityClassOf, type Schema } from "./schema.js";

export interface RecursionRequest {
  readonly ddl: readonly string[];
  readonly sql: readonly string[];
  readonly schema: Schema;
  readonly prefix: string;
  readonly root: number;
  readonly rel: string;
}

export type RecursionAnswer = { readonly graph: Record<string, string[] | "NOT LOADED">; readonly statements: string[] } | { readonly error: string };

let engine: Engine | undefined;
const declared = new Map<string, EntityClassOf[]>();

async function run(request: RecursionRequest): Promise<RecursionAnswer> {
  for (const sql of [...(declared.has(request.prefix) ? [] : request.ddl), ...request.sql]) await engine!.execute({ sql, params: [] });
  let classes = declared.get(request.prefix);
  if (classes === undefined) { classes = declareSchema(request.schema, request.prefix); declared.set(request.prefix, classes); }
  const cls = classes[request.root]!;
  const pk = pkColumns(request.schema.tables[request.root]!);
  const session = new Session(engine!);
  const capture = captureStatements(engine!);
  try {
    const rel = cls[request.rel] as RelationshipAttribute;
    const stmt = select(cls).orderBy(...pk.map((c) => cls[c] as InstrumentedColumn<number>)).options(selectinload(rel as never, { recursionDepth: -1 }));
    const roots = (await session.scalars(stmt)).all() as Record<string, unknown>[];
    const graph: Record<string, string[] | "NOT LOADED"> = {};
    const key = (o: Record<string, unknown>) => objectKey(request.root, pk.map((c) => o[c]));
    const queue = [...roots];
    while (queue.length > 0) {
      const o = queue.shift()!;
      const k = key(o);
      if (k in graph) continue;
      let children: Record<string, unknown>[];
      try {
        children = o[request.rel] as Record<string, unknown>[];
      } catch {
        graph[k] = "NOT LOADED";
        continue;
      }
      graph[k] = children.map(key).sort();
      queue.push(...children);
    }
    return { graph, statements: [...capture.sql] };
  } finally {
    capture.stop();
    await session.close();
  }
}

// A heartbeat: the endless loop of defect 4 runs only microtasks, so timers stop firing and the
// parent sees the silence (a slow but live child keeps beating).
setInterval(() => process.send!({ beat: true }), 250);

process.on("message", (message: { url: string } | RecursionRequest) => {
  if ("url" in message) {
    engine = createEngine(message.url);
    // Started before "ready": PGlite's start-up is not part of any case's time limit.
    engine.execute({ sql: "SELECT 1", params: [] }).then(
      () => process.send!({ ready: true }),
      (error: unknown) => process.send!({ error: String(error) }),
    );
    return;
  }
  run(message).then(
    (answer) => process.send!(answer),
    (error: unknown) => process.send!({ error: error instanceof Error ? `${error.name}: ${error.message}` : String(error) }),
  );
});
