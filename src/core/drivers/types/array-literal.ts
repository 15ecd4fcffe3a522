/**
 * PostgreSQL array literals in text form: `{1,2,NULL}`, `{"a b","say \"hi\""}`, `{{1,2},{3,4}}`.
 * Parsing is shared by every driver so `int4[]` gives the same `number[]` everywhere; the
 * serializer turns JS arrays given as parameters into literals the server casts to the array
 * type the statement expects (`WHERE id = ANY($1)`).
 */

export type TextParser = (text: string) => unknown;

/** Parses an array literal, applying `parseElement` to every non-NULL element. */
export function parseArrayLiteral(text: string, parseElement: TextParser, delimiter = ","): unknown[] {
  // Arrays with non-default bounds are prefixed with their dimensions: "[0:1]={7,8}".
  const start = text.charCodeAt(0) === 0x5b /* [ */ ? text.indexOf("=") + 1 : 0;
  const state = { text, i: start, parseElement, delimiter };
  if (text[state.i] !== "{") throw malformed(text);
  const result = parseLevel(state);
  if (state.i !== text.length) throw malformed(text);
  return result;
}

interface ParseState {
  readonly text: string;
  i: number;
  readonly parseElement: TextParser;
  readonly delimiter: string;
}

function parseLevel(s: ParseState): unknown[] {
  const { text, delimiter } = s;
  const out: unknown[] = [];
  s.i++; // "{"
  if (text[s.i] === "}") {
    s.i++;
    return out;
  }
  for (;;) {
    const ch = text[s.i];
    if (ch === "{") {
      out.push(parseLevel(s));
    } else if (ch === '"') {
      out.push(s.parseElement(readQuoted(s)));
    } else {
      const begin = s.i;
      while (s.i < text.length && text[s.i] !== delimiter && text[s.i] !== "}") s.i++;
      const raw = text.slice(begin, s.i);
      out.push(raw.length === 4 && raw.toUpperCase() === "NULL" ? null : s.parseElement(raw));
    }
    const sep = text[s.i];
    s.i++;
    if (sep === "}") return out;
    if (sep !== delimiter) throw malformed(text);
  }
}

function readQuoted(s: ParseState): string {
  const { text } = s;
  let value = "";
  let chunkStart = ++s.i; // past the opening quote
  for (;;) {
    if (s.i >= text.length) throw malformed(text);
    const ch = text[s.i];
    if (ch === "\\") {
      value += text.slice(chunkStart, s.i) + (text[s.i + 1] ?? "");
      s.i += 2;
      chunkStart = s.i;
    } else if (ch === '"') {
      value += text.slice(chunkStart, s.i);
      s.i++;
      return value;
    } else {
      s.i++;
    }
  }
}

function malformed(text: string): Error {
  const shown = text.length > 80 ? `${text.slice(0, 80)}...` : text;
  return new Error(`malformed array literal from the server: ${shown}`);
}

/**
 * Builds an array literal from JS values. `encodeElement` gives each non-null, non-array element's
 * text. Numbers, bigints, booleans and Dates are written bare: their text never holds a quote,
 * backslash, comma, brace or space (a BC date's " BC" is the one exception, and is quoted), and
 * none can read as NULL. Everything else is quoted, so no escaping rule depends on a string's
 * content. Bare elements halve the cost of a 10,000-element literal: no quoted copy per element.
 */
export function serializeArrayLiteral(
  values: readonly unknown[],
  encodeElement: (value: unknown) => string,
): string {
  // Texts joined once: `out +=` per element built a rope of a string object per element and comma.
  const parts = new Array<string>(values.length);
  for (let i = 0; i < values.length; i++) {
    const value = values[i];
    if (value === null) parts[i] = "NULL";
    else if (Array.isArray(value)) parts[i] = serializeArrayLiteral(value, encodeElement);
    else {
      const text = encodeElement(value);
      const type = typeof value;
      if (type === "number" || type === "bigint" || type === "boolean" || (value instanceof Date && text.indexOf(" ") === -1)) parts[i] = text;
      // Most strings hold neither character: two native scans are much cheaper than a
      // regular-expression replace per element (10,000-row inserts send 30,000).
      else parts[i] = text.indexOf('"') === -1 && text.indexOf("\\") === -1 ? `"${text}"` : `"${text.replace(/[\\"]/g, "\\$&")}"`;
    }
  }
  return `{${parts.join(",")}}`;
}
