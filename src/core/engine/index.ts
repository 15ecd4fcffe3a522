export { createEngine, Engine, type EngineOptions } from "./engine.js";
export { Connection } from "./connection.js";
export type { PoolStatus } from "./pool/pool.js";
export type { CompiledStatement, ExecuteEvent, ExecutedEvent, QueryResult } from "./types.js";
