/**
 * ORM errors. Each names the entity and attribute involved and says which loader option or call
 * fixes it. They extend Core's InvalidRequestError so one catch covers both layers.
 */
import { InvalidRequestError } from "../core/errors.js";

/**
 * Reading a relationship or expired attribute that is not loaded would need a query, and Athanor
 * never runs hidden I/O (SQLAlchemy's async MissingGreenlet, made explicit).
 */
export class NotLoadedError extends InvalidRequestError {
  override readonly code: string = "not-loaded";
}

/** A relationship under lazy="raise" / "raise_on_sql" or raiseload() was read without being loaded. */
export class LazyLoadError extends InvalidRequestError {
  override readonly code: string = "lazy-load";
}

/** An object whose session was closed (or that was expunged) needs its session for this. */
export class DetachedInstanceError extends InvalidRequestError {
  override readonly code: string = "detached-instance";
}

/** A statement, flush or COMMIT failed in the transaction; the session refuses every operation until rollback(). */
export class PendingRollbackError extends InvalidRequestError {
  override readonly code: string = "pending-rollback";
}

/** An entity, attribute or relationship could not be mapped (bad declaration). */
export class MappingError extends InvalidRequestError {
  override readonly code: string = "mapping";
}

/** A flush could not be planned or the database did not do what the plan expected. */
export class FlushError extends InvalidRequestError {
  override readonly code: string = "flush";
}

/** An UPDATE or DELETE by primary key matched a different number of rows than expected. */
export class StaleDataError extends FlushError {
  override readonly code: string = "stale-data";
}

/** A joined eager load of a collection needs `.unique()` on the result. */
export class UniqueRequiredError extends InvalidRequestError {
  override readonly code: string = "unique-required";
}

/** The same relationship was loaded one object at a time, again and again (session option `nPlusOne: "raise"`). */
export class NPlusOneError extends InvalidRequestError {
  override readonly code: string = "n-plus-one";
}

/**
 * Two operations ran on one Session at once (two tasks sharing it, or a call from outside a
 * running `session.begin(fn)`). Rejected before any SQL; the session stays usable for the caller
 * that owns it.
 */
export class ConcurrentSessionUseError extends InvalidRequestError {
  override readonly code: string = "concurrent-use";
}

/** The transaction's deadline passed: no further statement is sent and nothing commits. */
export class TransactionDeadlineError extends InvalidRequestError {
  override readonly code: string = "transaction-deadline";
}
