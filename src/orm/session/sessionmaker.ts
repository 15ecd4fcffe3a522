/** `sessionmaker(engine, { expireOnCommit: false })`: a factory of configured sessions. */
import type { Engine } from "../../core/engine/engine.js";
import { Session, type BeginOptions, type SessionOptions } from "./session.js";

export interface SessionFactory {
  /** A new session (use with `await using session = Session()`). */
  (): Session;
  /** Runs `fn` in a new session and transaction: commit on return, rollback on throw, then close. */
  begin<T>(fn: (session: Session) => Promise<T>, options?: BeginOptions): Promise<T>;
  readonly engine: Engine;
  readonly options: SessionOptions;
}

export function sessionmaker(engine: Engine, options: SessionOptions = {}): SessionFactory {
  const factory = (() => new Session(engine, options)) as SessionFactory;
  factory.begin = async <T>(fn: (session: Session) => Promise<T>, beginOptions?: BeginOptions): Promise<T> => {
    const session = new Session(engine, options);
    try {
      return await session.begin(fn, beginOptions);
    } finally {
      await session.close();
    }
  };
  Object.defineProperty(factory, "engine", { value: engine });
  Object.defineProperty(factory, "options", { value: options });
  return factory;
}
