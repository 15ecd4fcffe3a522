/**
 * SQL assertions hooked on the engine's execution events (never on the logger), as SQLAlchemy's
 * testing/assertsql.py: capture what a block of code sent, or assert how many statements it was.
 * Transaction control (BEGIN/COMMIT/ROLLBACK) does not fire the events, so counts are the
 * statements the code asked for.
 */
import type { Engine } from "../core/engine/engine.js";

export interface CapturedStatement {
  readonly sql: string;
  readonly params: readonly unknown[];
}

export class StatementCapture {
  readonly statements: CapturedStatement[] = [];
  private readonly unsubscribe: () => void;
  constructor(engine: Engine) {
    this.unsubscribe = engine.on("execute", (e) => this.statements.push({ sql: e.sql, params: e.params }));
  }
  get count(): number {
    return this.statements.length;
  }
  get sql(): string[] {
    return this.statements.map((s) => s.sql);
  }
  stop(): void {
    this.unsubscribe();
  }
  [Symbol.dispose](): void {
    this.stop();
  }
}

/** Starts recording every statement the engine sends until `stop()`. */
export function captureStatements(engine: Engine): StatementCapture {
  return new StatementCapture(engine);
}

/** Runs `fn` and returns its result with the statements it sent. */
export async function withStatements<T>(engine: Engine, fn: () => Promise<T>): Promise<{ result: T; statements: CapturedStatement[] }> {
  const capture = captureStatements(engine);
  try {
    const result = await fn();
    return { result, statements: capture.statements };
  } finally {
    capture.stop();
  }
}

export class QueryCountError extends Error {
  constructor(expected: number, statements: readonly CapturedStatement[]) {
    super(
      `Expected ${expected} statement(s), ${statements.length} ran:\n` +
        statements.map((s, i) => `  ${i + 1}. ${s.sql}${s.params.length ? `  -- ${JSON.stringify(s.params, (_, v: unknown) => (typeof v === "bigint" ? `${v}n` : v))}` : ""}`).join("\n"),
    );
    this.name = "QueryCountError";
  }
}

/** Runs `fn` and throws (listing every statement) unless it sent exactly `expected` statements. */
export async function assertQueryCount<T>(engine: Engine, expected: number, fn: () => Promise<T>): Promise<T> {
  const { result, statements } = await withStatements(engine, fn);
  if (statements.length !== expected) throw new QueryCountError(expected, statements);
  return result;
}
