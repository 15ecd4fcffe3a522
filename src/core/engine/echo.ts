/**
 * `echo`: one line per statement sent, with its parameters and duration, e.g.
 *
 *     SELECT users.id, users.name FROM users WHERE users.id = $1 -- params: [7] (0.41 ms)
 *     INSERT INTO users (name) VALUES ($1) -- params: ["x"] (1.02 ms) FAILED: IntegrityError
 *
 * Transaction control is echoed too (`BEGIN -- (0.05 ms)`), as SQLAlchemy's echo shows it.
 */

export type EchoTarget = (line: string) => void;

export function echoTarget(echo: boolean | EchoTarget | undefined): EchoTarget | undefined {
  if (typeof echo === "function") return echo;
  return echo === true ? (line) => console.log(line) : undefined;
}

export function formatEchoLine(sql: string, params: readonly unknown[], durationMs: number, error?: unknown): string {
  const shownParams = params.length === 0 ? "" : ` params: ${formatEchoParams(params)}`;
  const failed = error === undefined ? "" : ` FAILED: ${error instanceof Error ? error.name : String(error)}`;
  return `${sql} --${shownParams} (${durationMs.toFixed(2)} ms)${failed}`;
}

const MAX_SHOWN = 10;
const MAX_STRING = 80;

function formatEchoParams(params: readonly unknown[]): string {
  const shown = params.slice(0, MAX_SHOWN).map(formatValue);
  const more = params.length > MAX_SHOWN ? `, ... ${params.length} in all` : "";
  return `[${shown.join(", ")}${more}]`;
}

function formatValue(value: unknown): string {
  if (value === null) return "null";
  if (value === undefined) return "undefined";
  if (typeof value === "bigint") return `${value}n`;
  if (typeof value === "string") {
    return JSON.stringify(value.length > MAX_STRING ? `${value.slice(0, MAX_STRING)}...` : value);
  }
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? "Invalid Date" : value.toISOString();
  if (value instanceof Uint8Array) return `<${value.byteLength} bytes>`;
  if (Array.isArray(value)) {
    const items = value.slice(0, MAX_SHOWN).map(formatValue).join(", ");
    return value.length > MAX_SHOWN ? `[${items}, ... ${value.length} items]` : `[${items}]`;
  }
  if (typeof value === "object") {
    try {
      const json = JSON.stringify(value);
      return json.length > MAX_STRING ? `${json.slice(0, MAX_STRING)}...` : json;
    } catch {
      return "[object]";
    }
  }
  return String(value);
}
