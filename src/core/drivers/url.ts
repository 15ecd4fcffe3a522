/**
 * Engine URLs:
 *
 * - `postgresql://user:password@host:5432/db` (or `postgres://`): a PostgreSQL server.
 * - `pglite://memory`: an in-process PGlite database that lives in memory.
 * - `pglite://./data`, `pglite:///abs/dir`: PGlite persisted in that directory (relative paths
 *   are resolved against the working directory when the engine is created).
 */
import { resolve } from "node:path";
import { ArgumentError } from "../errors.js";

export interface DatabaseUrl {
  readonly scheme: "postgresql" | "pglite";
  /** The URL as given. */
  readonly url: string;
  /** The URL with any password replaced by `***`: the only form that is ever printed. */
  readonly masked: string;
  /** PGlite only: the absolute data directory, or undefined for an in-memory database. */
  readonly dataDir: string | undefined;
}

const PGLITE_PREFIX = "pglite://";

export function parseDatabaseUrl(url: string): DatabaseUrl {
  if (typeof url !== "string") {
    throw new ArgumentError(`expected a database URL string, got ${url === null ? "null" : typeof url}`);
  }
  if (url.startsWith("postgresql://") || url.startsWith("postgres://")) {
    return { scheme: "postgresql", url, masked: maskPassword(url), dataDir: undefined };
  }
  if (url.startsWith(PGLITE_PREFIX)) {
    const rest = url.slice(PGLITE_PREFIX.length);
    const dataDir = rest === "" || rest === "memory" ? undefined : resolve(rest);
    return { scheme: "pglite", url, masked: url, dataDir };
  }
  throw new ArgumentError(
    `unsupported database URL "${maskPassword(url)}"; expected postgresql://user:password@host/db, ` +
      "pglite://memory or pglite://<directory>",
  );
}

/** `postgresql://user:secret@host/db?password=x` -> `postgresql://user:***@host/db?password=***`. */
export function maskPassword(url: string): string {
  return url
    .replace(/^([a-z][a-z0-9+.-]*:\/\/[^:@/?#]*:)[^@/?#]*@/i, "$1***@")
    .replace(/([?&]password=)[^&#]*/gi, "$1***");
}
