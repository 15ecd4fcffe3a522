/**
 * Fault suite (issue 12, "Proof"): backends killed with pg_terminate_backend at random moments of
 * a unit of work (flush of a parent with children, a second flush, COMMIT), on pg and
 * postgres.js. For every unit: fully present or fully absent on the server, success reported
 * only for present work, a failed session refuses until rollback(), and no process crash
 * (postgres.js 3.4.9 crashed on sends to a dead socket: ANCHORS, "Reliability facts").
 *
 * ATHANOR_FAULT_KILLS (default 100) sets the kills that must land mid-unit per driver;
 * ATHANOR_FAULT_REPORT=1 prints the figures docs/transactions.md quotes.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  CommitOutcomeUnknownError, ConnectionError, createEngine, DatabaseError, PendingRollbackError, select, Session, type Engine,
} from "../../../../src/index.js";
import { serverCases, SETUP_TIMEOUT_MS } from "../../../core/engine/cases.js";
import { Child, countRows, createSchema, Parent, sleep } from "../transactions-support.js";

const KILLS = Number(process.env.ATHANOR_FAULT_KILLS ?? 100);

interface Tally {
  units: number;
  killsMidUnit: number;
  committed: number;
  failed: number;
  outcomeUnknown: number;
  outcomeUnknownPresent: number;
  refusedUntilRollback: number;
  usableAfterBeginFailure: number;
  violations: string[];
}

describe.each(serverCases)("random backend kills mid-unit-of-work ($name)", (c) => {
  let engine: Engine;
  let admin: Engine;
  const crashes: unknown[] = [];
  const onCrash = (e: unknown) => crashes.push(e);
  beforeAll(async () => {
    const url = await c.backend.freshUrl();
    admin = createEngine(url, { poolSize: 1 });
    await createSchema(admin);
    await admin.execute({ sql: "INSERT INTO parents (id, name) VALUES (1, 'probe')", params: [] });
    await admin.execute({ sql: "SELECT setval('parents_id_seq', 100)", params: [] });
    engine = createEngine(url, { ...c.options, poolSize: 2, poolTimeout: 10_000 });
    process.on("uncaughtException", onCrash);
    process.on("unhandledRejection", onCrash);
  }, SETUP_TIMEOUT_MS);
  afterAll(async () => {
    process.off("uncaughtException", onCrash);
    process.off("unhandledRejection", onCrash);
    await engine?.dispose();
    await admin?.dispose();
  });

  /** One unit of work: a parent and 3 children, a second flush adding a 4th, then COMMIT. */
  async function unit(session: Session, tag: string): Promise<void> {
    const parent = new Parent({ name: tag, children: [1, 2, 3].map((k) => new Child({ name: `${tag}-c${k}` })) });
    session.add(parent);
    await session.flush();
    session.add(new Child({ name: `${tag}-c4`, parent }));
    await session.flush();
    await session.commit();
  }

  /** Kills every client backend of the database but the admin's own; resolves to how many. */
  async function killAll(): Promise<number> {
    const { rows } = await admin.execute({
      sql: "SELECT count(pg_terminate_backend(pid))::int FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid() AND backend_type = 'client backend'",
      params: [],
    });
    return rows[0]![0] as number;
  }

  it(`${KILLS} kills: every unit all-or-nothing, no success for absent work, refused until rollback, no crash`, async () => {
    // How long a unit takes here, so the kills are spread over it.
    const warmStart = performance.now();
    for (let i = 0; i < 5; i++) {
      const s = new Session(engine);
      await unit(s, `warm-${i}`);
      await s.close();
    }
    const unitMs = (performance.now() - warmStart) / 5;

    const tally: Tally = {
      units: 0, killsMidUnit: 0, committed: 0, failed: 0, outcomeUnknown: 0, outcomeUnknownPresent: 0,
      refusedUntilRollback: 0, usableAfterBeginFailure: 0, violations: [],
    };
    const started = performance.now();
    for (let i = 0; tally.killsMidUnit < KILLS && i < KILLS * 10; i++) {
      const tag = `unit-${i}`;
      const session = new Session(engine);
      let ended = false;
      let landed = false;
      const kill = sleep(Math.random() * unitMs * 1.2).then(async () => {
        if (ended) return;
        const killed = await killAll();
        if (!ended && killed > 0) landed = true;
      });
      let outcome: unknown = "committed";
      try {
        await unit(session, tag);
      } catch (error) {
        outcome = error;
      }
      ended = true;
      await kill;
      tally.units++;
      if (landed) tally.killsMidUnit++;

      if (outcome !== "committed") {
        // Refused until rollback, unless nothing was begun (the failure was the checkout or BEGIN).
        const probe = await session.execute(select(Parent).where(Parent.id.eq(1))).then(() => "ran", (e: unknown) => e);
        const beforeBegin = outcome instanceof ConnectionError || (outcome instanceof DatabaseError && outcome.sql === "BEGIN");
        if (probe instanceof PendingRollbackError) tally.refusedUntilRollback++;
        else if (beforeBegin) tally.usableAfterBeginFailure++;
        else tally.violations.push(`${tag}: after ${String(outcome)} the session did not refuse (${String(probe)})`);
      }
      try {
        await session.rollback();
        await session.close();
      } catch (error) {
        tally.violations.push(`${tag}: rollback/close failed: ${String(error)}`);
      }

      const parents = await countRows(admin, "SELECT count(*) FROM parents WHERE name = $1", [tag]);
      const children = await countRows(admin, "SELECT count(*) FROM children WHERE name LIKE $1", [`${tag}-%`]);
      const present = parents === 1 && children === 4;
      const absent = parents === 0 && children === 0;
      if (!present && !absent) tally.violations.push(`${tag}: half-written (${parents} parents, ${children} children)`);
      if (outcome === "committed") {
        tally.committed++;
        if (!present) tally.violations.push(`${tag}: commit() reported success but the work is absent`);
      } else {
        tally.failed++;
        if (outcome instanceof CommitOutcomeUnknownError) {
          tally.outcomeUnknown++;
          if (present) tally.outcomeUnknownPresent++;
        } else if (present) {
          tally.violations.push(`${tag}: ${String(outcome)} reported, but the work is present`);
        }
      }
    }
    const elapsedMs = performance.now() - started;
    if (process.env.ATHANOR_FAULT_REPORT === "1") {
      process.stdout.write(`[fault-report] ${c.name}: ${JSON.stringify({ ...tally, violations: tally.violations.length, crashes: crashes.length, unitMs: Math.round(unitMs * 10) / 10, elapsedMs: Math.round(elapsedMs) })}\n`);
    }
    expect(tally.violations).toEqual([]);
    expect(crashes).toEqual([]);
    expect(tally.killsMidUnit).toBeGreaterThanOrEqual(KILLS);
    expect(tally.committed).toBeGreaterThan(0);
    expect(engine.pool.checkedOut).toBe(0);
    // The engine still works after all that.
    const s = new Session(engine);
    expect((await s.get(Parent, 1))!.name).toBe("probe");
    await s.close();
  }, 180_000);
});
