/**
 * Model-based test of the session's transactions (issue 12, "Proof"): fast-check `commands` of
 * add / modify / delete / get / flush / commit / rollback / beginNested (commit, rollback) /
 * expire / refresh on random parent-child graphs, against an in-memory model. After every
 * command the session's identity map (membership, loaded or expired, values) and the database
 * (committed, seen from outside; flushed, seen from inside the transaction) equal the model.
 *
 * 300 runs in CI; ATHANOR_MODEL_RUNS raises it (docs/transactions.md).
 */
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createEngine, NotLoadedError, Session, type Connection, type Engine, type NestedTransaction } from "../../../../src/index.js";
import { stateOf } from "../../../../src/orm/mapping/instance-state.js";
import { serverCases, SETUP_TIMEOUT_MS } from "../../../core/engine/cases.js";
import { Child, Parent } from "../transactions-support.js";

const RUNS = Number(process.env.ATHANOR_MODEL_RUNS ?? 300);

interface Row {
  readonly name: string;
  readonly parentId: number | null;
}
/** "P:1" or "C:101". */
type Key = string;
interface Level {
  rows: Map<Key, Row>;
  /** Keys UPDATEd by a flush at this level (expired when it is rolled back). */
  touched: Set<Key>;
  /** Keys DELETEd by a flush at this level (restored when it is rolled back). */
  removed: Set<Key>;
}
interface Model {
  committed: Map<Key, Row>;
  levels: Level[];
  /** Unflushed: the row an object will be written as (its values in memory), or a delete. */
  pending: Map<Key, { row: Row; deleted: boolean; modified?: boolean }>;
  pendingAdded: Set<Key>;
  /** Objects in the session: loaded, or expired. */
  view: Map<Key, { loaded: boolean }>;
  used: Set<Key>;
}
interface Real {
  session: Session;
  objects: Map<Key, Parent | Child>;
  savepoints: NestedTransaction[];
}

const top = (m: Model): Level => m.levels[m.levels.length - 1]!;
const level = (rows: Map<Key, Row>): Level => ({ rows: new Map(rows), touched: new Set(), removed: new Set() });
/** The row as the session will write it: null when marked for deletion. */
function visible(m: Model, key: Key): Row | null | undefined {
  const p = m.pending.get(key);
  return p === undefined ? top(m).rows.get(key) : p.deleted ? null : p.row;
}
/** The values the object holds in memory. */
const inMemory = (m: Model, key: Key): Row => m.pending.get(key)?.row ?? top(m).rows.get(key)!;
const markedDeleted = (m: Readonly<Model>, key: Key) => m.pending.get(key)?.deleted === true;
const isParent = (key: Key) => key.startsWith("P:");
const idOf = (key: Key) => Number(key.slice(2));
const persistent = (m: Model, key: Key) => m.view.has(key) && !m.pendingAdded.has(key) && top(m).rows.has(key);

function applyPending(m: Model): void {
  const t = top(m);
  for (const [key, { row, deleted }] of m.pending) {
    if (deleted) {
      t.rows.delete(key);
      t.removed.add(key);
      m.view.delete(key);
    } else {
      if (!m.pendingAdded.has(key)) t.touched.add(key);
      t.rows.set(key, row);
    }
  }
  m.pending.clear();
  m.pendingAdded.clear();
}

/** A child (visible) refers to the parent. */
function referenced(m: Model, parentKey: Key): boolean {
  const pid = idOf(parentKey);
  const keys = new Set([...top(m).rows.keys(), ...m.pending.keys()]);
  for (const key of keys) if (!isParent(key) && visible(m, key)?.parentId === pid) return true;
  return false;
}

function connectionOf(session: Session): Connection | undefined {
  return (session as unknown as { tx?: { connection?: Connection } }).tx?.connection;
}

const ROWS_SQL = "SELECT 'P:' || id, name, NULL::int FROM parents UNION ALL SELECT 'C:' || id, name, parent_id FROM children";

function asMap(rows: unknown[][]): Map<Key, Row> {
  return new Map(rows.map((r) => [r[0] as string, { name: r[1] as string, parentId: (r[2] as number | null) ?? null }]));
}

let admin: Engine;

/** Commands run, by name (printed with ATHANOR_FAULT_REPORT=1). */
const ran = new Map<string, number>();

async function checkAll(m: Model, r: Real): Promise<void> {
  for (const [key, obj] of r.objects) {
    const inView = m.view.get(key);
    expect(r.session.contains(obj), `${key} in session`).toBe(inView !== undefined);
    if (inView === undefined) continue;
    if (inView.loaded) {
      const row = inMemory(m, key);
      expect(obj.name, `${key}.name`).toBe(row.name);
      if (!isParent(key)) expect((obj as Child).parentId, `${key}.parentId`).toBe(row.parentId);
    } else {
      expect(() => obj.name, `${key} expired`).toThrow(NotLoadedError);
    }
    if (persistent(m, key)) {
      const state = stateOf(obj)!;
      expect(r.session.identityMap.get(state.mapper, idOf(key)), `${key} in identity map`).toBe(obj);
    }
  }
  const inMap = [...m.view.keys()].filter((k) => persistent(m, k) || (!m.pendingAdded.has(k) && markedDeleted(m, k))).length;
  expect(r.session.identityMap.size, "identity map size").toBe(inMap);
  expect(asMap((await admin.execute({ sql: ROWS_SQL, params: [] })).rows), "committed rows").toEqual(m.committed);
  const connection = connectionOf(r.session);
  if (connection !== undefined && connection.inTransaction) {
    expect(asMap((await connection.execute({ sql: ROWS_SQL, params: [] })).rows), "rows inside the transaction").toEqual(top(m).rows);
  } else {
    expect(top(m).rows, "no transaction: nothing flushed").toEqual(m.committed);
  }
}

type Cmd = fc.AsyncCommand<Model, Real>;
const NAMES = ["ada", "bob", "cy", "dee"];

class AddParent implements Cmd {
  constructor(readonly id: number, readonly name: string) {}
  check = (m: Readonly<Model>) => !m.used.has(`P:${this.id}`);
  async run(m: Model, r: Real) {
    const key = `P:${this.id}`;
    const obj = new Parent({ id: this.id, name: this.name });
    r.session.add(obj);
    r.objects.set(key, obj);
    m.used.add(key);
    m.pending.set(key, { row: { name: this.name, parentId: null }, deleted: false });
    m.pendingAdded.add(key);
    m.view.set(key, { loaded: true });
    await checkAll(m, r);
  }
  toString = () => `AddParent(${this.id}, ${this.name})`;
}

class AddChild implements Cmd {
  constructor(readonly id: number, readonly parentId: number, readonly name: string) {}
  check = (m: Readonly<Model>) => !m.used.has(`C:${this.id}`) && visible(m as Model, `P:${this.parentId}`) != null;
  async run(m: Model, r: Real) {
    const key = `C:${this.id}`;
    const obj = new Child({ id: this.id, name: this.name, parentId: this.parentId });
    r.session.add(obj);
    r.objects.set(key, obj);
    m.used.add(key);
    m.pending.set(key, { row: { name: this.name, parentId: this.parentId }, deleted: false });
    m.pendingAdded.add(key);
    m.view.set(key, { loaded: true });
    await checkAll(m, r);
  }
  toString = () => `AddChild(${this.id} -> ${this.parentId}, ${this.name})`;
}

/** Picks one of the model's keys by index (the list changes as the run goes). */
function pick(m: Readonly<Model>, index: number, ok: (key: Key) => boolean): Key | undefined {
  const keys = [...m.view.keys()].filter(ok).sort();
  return keys.length === 0 ? undefined : keys[index % keys.length];
}

class Modify implements Cmd {
  constructor(readonly index: number, readonly name: string) {}
  key = (m: Readonly<Model>) => pick(m, this.index, (k) => m.view.get(k)!.loaded && visible(m as Model, k) != null);
  check = (m: Readonly<Model>) => this.key(m) !== undefined;
  async run(m: Model, r: Real) {
    const key = this.key(m)!;
    r.objects.get(key)!.name = this.name;
    // Assigning the value it already has is no change for Athanor (SQLAlchemy would still mark
    // the object modified, and expire it on a savepoint rollback: a difference without effect).
    if (visible(m, key)!.name !== this.name) {
      m.pending.set(key, { row: { ...visible(m, key)!, name: this.name }, deleted: false, modified: true });
    }
    await checkAll(m, r);
  }
  toString = () => `Modify(#${this.index}, ${this.name})`;
}

class Delete implements Cmd {
  constructor(readonly index: number) {}
  key = (m: Readonly<Model>) => pick(m, this.index, (k) => m.view.get(k)!.loaded && visible(m as Model, k) != null && !(isParent(k) && referenced(m as Model, k)));
  check = (m: Readonly<Model>) => this.key(m) !== undefined;
  async run(m: Model, r: Real) {
    const key = this.key(m)!;
    r.session.delete(r.objects.get(key)!);
    if (m.pendingAdded.has(key)) {
      m.pending.delete(key);
      m.pendingAdded.delete(key);
      m.view.delete(key);
    } else {
      m.pending.set(key, { row: inMemory(m, key), deleted: true, modified: m.pending.get(key)?.modified });
    }
    await checkAll(m, r);
  }
  toString = () => `Delete(#${this.index})`;
}

class Get implements Cmd {
  constructor(readonly id: number, readonly parent: boolean) {}
  key = () => `${this.parent ? "P" : "C"}:${this.id}`;
  check = (m: Readonly<Model>) => visible(m as Model, this.key()) != null;
  async run(m: Model, r: Real) {
    const key = this.key();
    // A loaded object in the identity map is returned with no SQL, so without an autoflush
    // (SQLAlchemy's get() too); anything else is a query, which autoflushes first.
    const known = r.objects.get(key);
    const hit = known !== undefined && r.session.contains(known) && m.view.get(key)?.loaded === true && persistent(m, key);
    const obj: Parent | Child | null = this.parent ? await r.session.get(Parent, this.id) : await r.session.get(Child, this.id);
    if (!hit) applyPending(m); // autoflush
    expect(obj).not.toBeNull();
    if (m.view.has(key)) expect(obj).toBe(r.objects.get(key));
    r.objects.set(key, obj!);
    m.view.set(key, { loaded: true });
    await checkAll(m, r);
  }
  toString = () => `Get(${this.key()})`;
}

class Flush implements Cmd {
  check = () => true;
  async run(m: Model, r: Real) {
    await r.session.flush();
    applyPending(m);
    await checkAll(m, r);
  }
  toString = () => "Flush";
}

class Commit implements Cmd {
  check = () => true;
  async run(m: Model, r: Real) {
    await r.session.commit();
    applyPending(m);
    m.committed = new Map(top(m).rows);
    m.levels = [level(m.committed)];
    r.savepoints = [];
    for (const v of m.view.values()) v.loaded = false;
    await checkAll(m, r);
  }
  toString = () => "Commit";
}

class Rollback implements Cmd {
  check = () => true;
  async run(m: Model, r: Real) {
    await r.session.rollback();
    for (const key of m.pendingAdded) m.view.delete(key);
    m.pending.clear();
    m.pendingAdded.clear();
    for (const key of [...m.view.keys()]) {
      if (!m.committed.has(key)) m.view.delete(key);
      else m.view.get(key)!.loaded = false;
    }
    for (const l of m.levels) for (const key of l.removed) if (m.committed.has(key)) m.view.set(key, { loaded: false });
    m.levels = [level(m.committed)];
    r.savepoints = [];
    await checkAll(m, r);
  }
  toString = () => "Rollback";
}

class BeginNested implements Cmd {
  check = (m: Readonly<Model>) => m.levels.length < 4;
  async run(m: Model, r: Real) {
    r.savepoints.push(await r.session.beginNested());
    applyPending(m);
    m.levels.push(level(top(m).rows));
    await checkAll(m, r);
  }
  toString = () => "BeginNested";
}

class ReleaseNested implements Cmd {
  check = (m: Readonly<Model>) => m.levels.length > 1;
  async run(m: Model, r: Real) {
    await r.savepoints.pop()!.commit();
    applyPending(m);
    const done = m.levels.pop()!;
    const below = top(m);
    below.rows = done.rows;
    for (const k of done.touched) below.touched.add(k);
    for (const k of done.removed) below.removed.add(k);
    await checkAll(m, r);
  }
  toString = () => "ReleaseNested";
}

class RollbackNested implements Cmd {
  check = (m: Readonly<Model>) => m.levels.length > 1;
  async run(m: Model, r: Real) {
    await r.savepoints.pop()!.rollback();
    const undone = m.levels.pop()!;
    const below = top(m);
    // Changed since the savepoint: flushed UPDATEs and unflushed modifications (a mark for
    // deletion alone is not a change, as in SQLAlchemy).
    const modified = [...m.pending].filter(([k, p]) => p.modified === true && !m.pendingAdded.has(k)).map(([k]) => k);
    const expire = new Set<Key>([...undone.touched, ...modified]);
    for (const key of m.pendingAdded) m.view.delete(key);
    m.pending.clear();
    m.pendingAdded.clear();
    for (const key of [...m.view.keys()]) if (!below.rows.has(key)) m.view.delete(key);
    for (const key of undone.removed) {
      if (below.rows.has(key)) m.view.set(key, { loaded: false });
    }
    for (const key of expire) if (m.view.has(key)) m.view.get(key)!.loaded = false;
    await checkAll(m, r);
  }
  toString = () => "RollbackNested";
}

class Expire implements Cmd {
  constructor(readonly index: number) {}
  key = (m: Readonly<Model>) => pick(m, this.index, (k) => persistent(m as Model, k) && !markedDeleted(m, k));
  check = (m: Readonly<Model>) => this.key(m) !== undefined;
  async run(m: Model, r: Real) {
    const key = this.key(m)!;
    r.session.expire(r.objects.get(key)!);
    m.pending.delete(key); // its unflushed change is discarded
    m.view.get(key)!.loaded = false;
    await checkAll(m, r);
  }
  toString = () => `Expire(#${this.index})`;
}

class Refresh implements Cmd {
  constructor(readonly index: number) {}
  key = (m: Readonly<Model>) => pick(m, this.index, (k) => persistent(m as Model, k) && !markedDeleted(m, k));
  check = (m: Readonly<Model>) => this.key(m) !== undefined;
  async run(m: Model, r: Real) {
    const key = this.key(m)!;
    await r.session.refresh(r.objects.get(key)!);
    applyPending(m); // autoflush
    m.view.get(key)!.loaded = true;
    await checkAll(m, r);
  }
  toString = () => `Refresh(#${this.index})`;
}

const commands = [
  fc.tuple(fc.integer({ min: 1, max: 12 }), fc.constantFrom(...NAMES)).map(([id, n]) => new AddParent(id, n)),
  fc.tuple(fc.integer({ min: 101, max: 124 }), fc.integer({ min: 1, max: 12 }), fc.constantFrom(...NAMES)).map(([id, p, n]) => new AddChild(id, p, n)),
  fc.tuple(fc.nat(20), fc.constantFrom(...NAMES)).map(([i, n]) => new Modify(i, n)),
  fc.nat(20).map((i) => new Delete(i)),
  fc.tuple(fc.integer({ min: 1, max: 12 }), fc.boolean()).map(([id, p]) => new Get(p ? id : id + 100, p)),
  fc.constant(new Flush()),
  fc.constant(new Commit()),
  fc.constant(new Rollback()),
  fc.constant(new BeginNested()),
  fc.constant(new ReleaseNested()),
  fc.constant(new RollbackNested()),
  fc.nat(20).map((i) => new Expire(i)),
  fc.nat(20).map((i) => new Refresh(i)),
];

const SCHEMA = [
  "CREATE TABLE parents (id int PRIMARY KEY, name text NOT NULL)",
  "CREATE TABLE children (id int PRIMARY KEY, parent_id int REFERENCES parents(id) DEFERRABLE INITIALLY DEFERRED, name text NOT NULL)",
];
const SEED: [Key, Row][] = [
  ["P:1", { name: "ada", parentId: null }],
  ["P:2", { name: "bob", parentId: null }],
  ["C:101", { name: "cy", parentId: 1 }],
  ["C:102", { name: "dee", parentId: 1 }],
];

describe.each(serverCases.filter((c) => c.driver === "pg"))("session transactions against a model ($name)", (c) => {
  let engine: Engine;
  beforeAll(async () => {
    const url = await c.backend.freshUrl();
    admin = createEngine(url, { poolSize: 1 });
    for (const sql of SCHEMA) await admin.execute({ sql, params: [] });
    engine = createEngine(url, { ...c.options, poolSize: 2 });
  }, SETUP_TIMEOUT_MS);
  afterAll(async () => {
    await engine?.dispose();
    await admin?.dispose();
  });

  it(`${RUNS} random command sequences: identity map and database equal the model after every command`, async () => {
    await fc.assert(
      fc.asyncProperty(fc.commands(commands, { maxCommands: 40, size: "medium" }), async (cmds) => {
        await admin.execute({ sql: "TRUNCATE children, parents", params: [] });
        await admin.execute({ sql: "INSERT INTO parents VALUES (1, 'ada'), (2, 'bob')", params: [] });
        await admin.execute({ sql: "INSERT INTO children VALUES (101, 1, 'cy'), (102, 1, 'dee')", params: [] });
        const committed = new Map(SEED);
        const model: Model = {
          committed, levels: [level(committed)], pending: new Map(), pendingAdded: new Set(), view: new Map(), used: new Set(SEED.map(([k]) => k)),
        };
        const session = new Session(engine);
        try {
          await fc.asyncModelRun(() => ({ model, real: { session, objects: new Map(), savepoints: [] } }), cmds);
          for (const cmd of cmds) {
            const name = String(cmd).split("(")[0]!;
            ran.set(name, (ran.get(name) ?? 0) + 1);
          }
        } finally {
          await session.close();
        }
        expect(engine.pool.checkedOut).toBe(0);
      }),
      { numRuns: RUNS },
    );
    if (process.env.ATHANOR_FAULT_REPORT === "1") {
      const total = [...ran.values()].reduce((a, b) => a + b, 0);
      process.stdout.write(`[model-report] runs=${RUNS} commands=${total} ${JSON.stringify(Object.fromEntries(ran))}\n`);
    }
  }, 300_000);
});
