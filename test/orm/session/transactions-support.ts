/**
 * Shared by the session transaction tests (transactions-*.test.ts, faults/): a small schema of
 * its own (a deferrable foreign key, a unique name), engines that record every line they send
 * (BEGIN/COMMIT included, through echo), and server-side kills.
 */
import { column, createEngine, declarativeBase, func, selectColumns, type Engine, type EngineOptions, type Session } from "../../../src/index.js";

export interface TxModels {
  Parent: Parent;
  Child: Child;
}

export const TxBase = declarativeBase<TxModels>();

export class Parent extends TxBase.entity("parents", {
  id: column.integer().primaryKey(),
  name: column.text(),
  children: TxBase.many("Child", { backPopulates: "parent" }),
}) {}

export class Child extends TxBase.entity("children", {
  id: column.integer().primaryKey(),
  parentId: column.integer().references("parents.id").nullable(),
  name: column.text(),
  parent: TxBase.one("Parent", { backPopulates: "children" }),
}) {}

TxBase.register({ Parent, Child });

/** The foreign key is checked at COMMIT (DEFERRABLE INITIALLY DEFERRED), names are unique. */
export const SCHEMA = [
  "CREATE TABLE parents (id serial PRIMARY KEY, name text NOT NULL UNIQUE)",
  "CREATE TABLE children (id serial PRIMARY KEY, parent_id int REFERENCES parents(id) DEFERRABLE INITIALLY DEFERRED, name text NOT NULL)",
];

/** An engine whose `lines` hold every statement sent, BEGIN/COMMIT/ROLLBACK/SAVEPOINT included. */
export interface RecordingEngine {
  readonly engine: Engine;
  readonly lines: string[];
  /** The SQL of the lines (without echo's parameters and timing). */
  sql(): string[];
}

export async function recordingEngine(url: string, options: EngineOptions = {}): Promise<RecordingEngine> {
  const lines: string[] = [];
  const engine = createEngine(url, { ...options, echo: (line) => lines.push(line) });
  return { engine, lines, sql: () => lines.map((l) => l.slice(0, l.indexOf(" --"))) };
}

export async function createSchema(engine: Engine): Promise<void> {
  for (const sql of SCHEMA) await engine.execute({ sql, params: [] });
}

export async function countRows(engine: Engine, sql: string, params: unknown[] = []): Promise<number> {
  return Number((await engine.execute({ sql, params })).rows[0]![0]);
}

/** The server process behind the session's connection (checks the connection out if needed). */
export async function backendPid(session: Session): Promise<number> {
  return Number((await session.execute(selectColumns(func.pg_backend_pid!()))).scalar());
}

/** pg_terminate_backend, then waits until the server process is gone and the client saw it. */
export async function killBackend(admin: Engine, pid: number): Promise<void> {
  await admin.execute({ sql: "SELECT pg_terminate_backend($1)", params: [pid] });
  for (let i = 0; i < 200; i++) {
    const left = await countRows(admin, "SELECT count(*) FROM pg_stat_activity WHERE pid = $1", [pid]);
    if (left === 0) break;
    await sleep(5);
  }
  await sleep(20); // the client's socket sees the close
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
