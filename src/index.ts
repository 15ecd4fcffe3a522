/** Athanor's public API. Re-exports only. */
export * from "./core/errors.js";
export { types, type SqlType, type Json } from "./core/sql/types.js";
export { PreciseDate } from "./core/types/precise-date.js";
export { Expression, bindparam, type Predicate, type Operand } from "./core/sql/expression.js";
export { and, or, not, exists, cast, literal, func, caseWhen, nullLiteral } from "./core/sql/operators.js";
export { Select, Subquery, selectColumns } from "./core/sql/select.js";
export { insert, update, delete_ as delete_, delete_ as deleteFrom } from "./core/sql/dml.js";
export { Table, TableAlias, ColumnExpression, columnSpec } from "./core/schema/table.js";
export { MetaData } from "./core/schema/metadata.js";
export { compile, bindParams } from "./core/compiler/compiler.js";
export { setWarningSink } from "./core/compiler/from-linter.js";
export { createEngine, Engine, type EngineOptions } from "./core/engine/engine.js";
export { Connection } from "./core/engine/connection.js";
export type { CompiledStatement, QueryResult, ExecuteEvent, ExecutedEvent } from "./core/engine/types.js";

export * from "./orm/errors.js";
export { column } from "./orm/mapping/column-builder.js";
export { declarativeBase, type DeclarativeBase, type EntityClass, type MappedClass, type InsertShape } from "./orm/mapping/declarative.js";
export type { RelationshipOptions, LazyMode } from "./orm/mapping/relationship-spec.js";
export { InstrumentedColumn, RelationshipAttribute } from "./orm/mapping/instrumented.js";
export { select, EntitySelect } from "./orm/query/select.js";
export { aliased, type Aliased } from "./orm/query/aliased.js";
export {
  selectinload, joinedload, subqueryload, immediateload, containsEager, raiseload, noload, defaultload, withLoaderCriteria, load, Load,
  type AnyLoad,
} from "./orm/loading/options.js";
export { Session, type SessionOptions, type GetOptions } from "./orm/session/session.js";
export { sessionmaker, type SessionFactory } from "./orm/session/sessionmaker.js";
export { Result, ScalarResult } from "./orm/session/result.js";
export type { Loaded, LoadedEntity, NotLoaded, LoadHint } from "./orm/typing/loaded.js";
export type { LoadedInput } from "./orm/session/session.js";
export { inspect, isLoaded, InstanceInspection, type AttributeInspection, type AttributeHistory, type ObjectState } from "./orm/inspection.js";
export { withRetry, isRetryableError, type RetryOptions } from "./core/engine/retry.js";
export type { TransactionOptions, IsolationLevel } from "./core/engine/transaction-options.js";
export { NestedTransaction } from "./orm/session/nested-transaction.js";
export type { BeginOptions } from "./orm/session/session.js";
