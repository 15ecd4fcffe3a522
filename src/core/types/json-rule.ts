/**
 * json / jsonb: the value is a JSON document, sent as JSON text. `JSON.stringify` alone changes
 * values silently: NaN and ±Infinity become null, an undefined property disappears (an undefined
 * array element becomes null), a Date becomes a string, a Buffer `{"type":"Buffer","data":[...]}`,
 * a Map `{}`, symbol keys vanish; and it throws a bare TypeError for a bigint or a cycle. So the
 * document is walked first and anything that is not JSON is refused, naming where it is
 * (`.items[2].price`). jsonb also refuses NUL in strings (the server cannot store "\u0000" in
 * jsonb) and, like text, lone surrogates (jsonb rejects them; json would store them). A -0 is
 * written 0 (JSON.stringify's rule; jsonb's numbers have no negative zero either).
 */
import { checkString, kindOf, Rejected, type ValueRule } from "./value-rules.js";

export function jsonRule(binary: boolean): ValueRule {
  return (value) => {
    checkDocument(value, "", binary, new Set());
    return JSON.stringify(value);
  };
}

const FIX = "convert it to JSON values first (strings, finite numbers, booleans, null, arrays, plain objects)";

/** json keeps "\u0000" as text (and JSON.parse gives the NUL back); jsonb cannot store it. */
function checkText(text: string, path: string, binary: boolean): void {
  checkString(binary || text.indexOf("\u0000") === -1 ? text : text.replaceAll("\u0000", ""), path);
}

function checkDocument(value: unknown, path: string, binary: boolean, ancestors: Set<object>): void {
  switch (typeof value) {
    case "string":
      checkText(value, path, binary);
      return;
    case "boolean":
      return;
    case "number":
      if (!Number.isFinite(value)) throw new Rejected(`${kindOf(value)} in a JSON document`, "JSON has no such number (JSON.stringify would write null)", "use null or a string", path);
      return;
    case "object":
      break;
    case "bigint":
      throw new Rejected("a bigint in a JSON document", "JSON has no bigint", "write it as a string (String(n)) or, if it is below 2^53, a number", path);
    default:
      throw new Rejected(`${kindOf(value)} in a JSON document`, "JSON has no such value (JSON.stringify would drop it)", FIX, path);
  }
  if (value === null) return;
  if (ancestors.has(value)) throw new Rejected("a document that contains itself", "JSON cannot hold a cycle", "break the cycle", path);
  ancestors.add(value);
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      if (!(i in value)) throw new Rejected("an array with a hole in a JSON document", "JSON.stringify would write null", "fill the hole with null", `${path}[${i}]`);
      checkDocument(value[i], `${path}[${i}]`, binary, ancestors);
    }
  } else {
    const proto: unknown = Object.getPrototypeOf(value);
    if (proto !== Object.prototype && proto !== null) {
      throw new Rejected(`${kindOf(value)} in a JSON document`, "only plain objects are JSON objects (JSON.stringify would change it)", value instanceof Date ? "write the Date as a string (toISOString())" : FIX, path);
    }
    if (Object.getOwnPropertySymbols(value).length > 0) {
      throw new Rejected("an object with symbol keys in a JSON document", "JSON.stringify would drop them", "use string keys", path);
    }
    for (const key of Object.keys(value)) {
      const at = `${path}.${key}`;
      checkText(key, at, binary);
      const item = (value as Record<string, unknown>)[key];
      if (item === undefined) throw new Rejected("undefined in a JSON document", "JSON.stringify would drop the key", "use null, or delete the key", at);
      checkDocument(item, at, binary, ancestors);
    }
  }
  ancestors.delete(value);
}
