/**
 * Running a whole unit of work again after a serialization failure or a deadlock (SQLSTATE 40001,
 * 40P01): PostgreSQL aborted the transaction, and the only correct retry is the whole callback,
 * reads included (a single statement retried inside an aborted transaction cannot succeed, and
 * retried after it would act on stale reads).
 *
 * ```ts
 * const total = await withRetry(() => Sessions.begin(async (s) => {
 *   const a = await s.get(Account, 1, { ... });
 *   a.balance -= 10;
 *   return a.balance;
 * }), { attempts: 5 });
 * ```
 *
 * The callback must start its own transaction (`Sessions.begin`, `session.begin`): the helper
 * never retries inside one. A CommitOutcomeUnknownError is never retried (the work may be in).
 */
import { ArgumentError } from "../errors.js";

export interface RetryOptions {
  /** Tries in all, the first included. Default 5. */
  readonly attempts?: number;
  /** Backoff before the second try, doubled each time (full jitter: a random wait up to it). Default 10 ms. */
  readonly baseDelayMs?: number;
  /** Upper bound of one wait. Default 1000 ms. */
  readonly maxDelayMs?: number;
  /** Which errors to retry; default: `error.retryable === true` on the error or one of its causes. */
  readonly isRetryable?: (error: unknown) => boolean;
  /** Called before each wait (for logging or metrics). */
  readonly onRetry?: (error: unknown, attempt: number, delayMs: number) => void;
}

/** True when the error, or an error in its `cause` chain, is marked retryable (40001, 40P01). */
export function isRetryableError(error: unknown): boolean {
  for (let e = error, depth = 0; typeof e === "object" && e !== null && depth < 8; e = (e as { cause?: unknown }).cause, depth++) {
    if ((e as { retryable?: unknown }).retryable === true) return true;
  }
  return false;
}

/** Runs `fn` until it resolves, a non-retryable error is thrown, or `attempts` are spent (the last error is thrown). */
export async function withRetry<T>(fn: (attempt: number) => Promise<T>, options: RetryOptions = {}): Promise<T> {
  const attempts = options.attempts ?? 5;
  const base = options.baseDelayMs ?? 10;
  const max = options.maxDelayMs ?? 1000;
  if (!(Number.isInteger(attempts) && attempts >= 1)) throw new ArgumentError(`withRetry: attempts must be an integer >= 1, got ${String(attempts)}`);
  if (!(base >= 0 && max >= 0)) throw new ArgumentError("withRetry: baseDelayMs and maxDelayMs must be >= 0");
  const retryable = options.isRetryable ?? isRetryableError;
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn(attempt);
    } catch (error) {
      if (attempt >= attempts || !retryable(error)) throw error;
      const delay = Math.random() * Math.min(max, base * 2 ** (attempt - 1));
      options.onRetry?.(error, attempt, delay);
      await new Promise((resolve) => setTimeout(resolve, delay));
    }
  }
}
