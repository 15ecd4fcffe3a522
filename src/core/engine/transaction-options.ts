/**
 * Isolation level and access mode of a transaction, and the BEGIN that asks for them. Checked
 * before anything is sent: an unknown level is an ArgumentError, not a server syntax error.
 */
import { ArgumentError } from "../errors.js";

export type IsolationLevel = "serializable" | "repeatable read" | "read committed" | "read uncommitted";

export interface TransactionOptions {
  /** PostgreSQL's default is "read committed". */
  readonly isolationLevel?: IsolationLevel;
  /** READ ONLY: writes fail with SQLSTATE 25006. */
  readonly readOnly?: boolean;
  /** DEFERRABLE (with serializable + readOnly): waits for a safe snapshot, then never fails to serialize. */
  readonly deferrable?: boolean;
}

const LEVELS: ReadonlySet<string> = new Set(["serializable", "repeatable read", "read committed", "read uncommitted"]);
const NAMES: ReadonlySet<string> = new Set(["isolationLevel", "readOnly", "deferrable"]);

/** Throws ArgumentError for an option Athanor cannot send exactly as asked. */
export function checkTransactionOptions(options: TransactionOptions | undefined): void {
  if (options === undefined) return;
  if (typeof options !== "object" || options === null) {
    throw new ArgumentError(`transaction options must be an object, got ${options === null ? "null" : typeof options}`);
  }
  for (const key of Object.keys(options)) {
    if (!NAMES.has(key)) throw new ArgumentError(`unknown transaction option "${key}"; expected one of ${[...NAMES].join(", ")}`);
  }
  const { isolationLevel, readOnly, deferrable } = options;
  if (isolationLevel !== undefined && !LEVELS.has(isolationLevel)) {
    throw new ArgumentError(`isolationLevel must be one of ${[...LEVELS].map((l) => `"${l}"`).join(", ")}, got ${JSON.stringify(isolationLevel)}`);
  }
  if (readOnly !== undefined && typeof readOnly !== "boolean") throw new ArgumentError(`readOnly must be a boolean, got ${typeof readOnly}`);
  if (deferrable !== undefined && typeof deferrable !== "boolean") throw new ArgumentError(`deferrable must be a boolean, got ${typeof deferrable}`);
}

/** True when the options change anything from PostgreSQL's default transaction. */
export function hasTransactionOptions(options: TransactionOptions | undefined): boolean {
  return options !== undefined && (options.isolationLevel !== undefined || options.readOnly !== undefined || options.deferrable !== undefined);
}

/** `BEGIN`, or `BEGIN ISOLATION LEVEL SERIALIZABLE READ ONLY DEFERRABLE` and the like. */
export function beginStatement(options: TransactionOptions | undefined): string {
  if (!hasTransactionOptions(options)) return "BEGIN";
  const parts = ["BEGIN"];
  if (options!.isolationLevel !== undefined) parts.push(`ISOLATION LEVEL ${options!.isolationLevel.toUpperCase()}`);
  if (options!.readOnly !== undefined) parts.push(options!.readOnly ? "READ ONLY" : "READ WRITE");
  if (options!.deferrable !== undefined) parts.push(options!.deferrable ? "DEFERRABLE" : "NOT DEFERRABLE");
  return parts.join(" ");
}

/** Later options override earlier ones, field by field (engine, then session, then transaction). */
export function mergeTransactionOptions(...layers: (TransactionOptions | undefined)[]): TransactionOptions | undefined {
  let merged: { -readonly [K in keyof TransactionOptions]: TransactionOptions[K] } | undefined;
  for (const layer of layers) {
    if (layer === undefined) continue;
    merged ??= {};
    if (layer.isolationLevel !== undefined) merged.isolationLevel = layer.isolationLevel;
    if (layer.readOnly !== undefined) merged.readOnly = layer.readOnly;
    if (layer.deferrable !== undefined) merged.deferrable = layer.deferrable;
  }
  return merged;
}
