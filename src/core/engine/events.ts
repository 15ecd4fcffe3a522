/**
 * Statement events. `execute` fires just before a statement given to `execute()` is sent,
 * `executed` after it finished (with `error` set when it failed). Transaction control
 * (begin/commit/rollback), pool pre-pings and the reset ROLLBACK on return are connection
 * housekeeping and do not fire them, so SQL-counting helpers see only the statements the
 * application asked for (as SQLAlchemy's before/after_cursor_execute).
 *
 * Listeners run synchronously, in subscription order. A listener that throws makes the
 * `execute()` call reject with that error (from `execute`, before anything is sent).
 */
import { ArgumentError } from "../errors.js";
import type { ExecuteEvent, ExecutedEvent } from "./types.js";

export interface EngineEvents {
  execute: ExecuteEvent;
  executed: ExecutedEvent;
}

export type EngineEventName = keyof EngineEvents;

export class EventHub {
  readonly #listeners: { [K in EngineEventName]: Set<(e: EngineEvents[K]) => void> } = {
    execute: new Set(),
    executed: new Set(),
  };

  on<K extends EngineEventName>(event: K, fn: (e: EngineEvents[K]) => void): () => void {
    const set = this.#listeners[event] as Set<(e: EngineEvents[K]) => void> | undefined;
    if (set === undefined) throw new ArgumentError(`unknown engine event "${String(event)}"; expected "execute" or "executed"`);
    if (typeof fn !== "function") throw new ArgumentError(`listener for "${event}" must be a function`);
    // Wrapped so that subscribing the same function twice gives two independent subscriptions.
    const listener = (e: EngineEvents[K]): void => fn(e);
    set.add(listener);
    return () => {
      set.delete(listener);
    };
  }

  has(event: EngineEventName): boolean {
    return this.#listeners[event].size > 0;
  }

  emit<K extends EngineEventName>(event: K, payload: EngineEvents[K]): void {
    for (const listener of this.#listeners[event] as Set<(e: EngineEvents[K]) => void>) listener(payload);
  }
}
