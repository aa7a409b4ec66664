/**
 * A reader of JSON text that knows positions, which `JSON.parse` does not say on every
 * Node version (Node 20's "Unexpected token ']', ..." names none): where the first
 * syntax error is, and on which line each key of a valid document sits.
 */

/** A JSON syntax error's place (1-based line and column) and a one-line reason. */
export interface JsonSyntaxProblem {
  line: number;
  column: number;
  reason: string;
}

/** What a scan found: the first syntax error, if any, and the line of every key. */
export interface JsonScan {
  problem: JsonSyntaxProblem | undefined;
  /** The line of each key, by its dotted path (`zmq.linger_ms`); arrays are not entered. */
  keyLines: Map<string, number>;
}

class Stop extends Error {
  constructor(
    readonly offset: number,
    readonly reason: string,
  ) {
    super(reason);
  }
}

const NUMBER = /-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?/y;
const ESCAPES = new Set(['"', "\\", "/", "b", "f", "n", "r", "t"]);

/** Scans `text` as one JSON document. A document nested too deeply for the stack gives no problem. */
export function scanJson(text: string): JsonScan {
  const keyLines = new Map<string, number>();
  let i = 0;
  const shown = (): string => (i >= text.length ? "end of file" : `'${text[i] ?? ""}'`);
  const space = (): void => {
    while (i < text.length && " \t\n\r".includes(text[i] ?? "")) i += 1;
  };
  const string = (): string => {
    const start = i;
    i += 1;
    for (;;) {
      const c = text[i];
      if (c === undefined) throw new Stop(start, "unterminated string");
      if (c === '"') break;
      if (c === "\\") {
        const escape = text[i + 1] ?? "";
        if (escape === "u" && /^[0-9a-fA-F]{4}$/.test(text.slice(i + 2, i + 6))) i += 6;
        else if (ESCAPES.has(escape)) i += 2;
        else throw new Stop(i, `invalid escape '\\${escape}' in a string`);
      } else if (c.charCodeAt(0) < 0x20) {
        throw new Stop(i, "control character in a string (write it as an escape, such as \\n)");
      } else i += 1;
    }
    i += 1;
    return JSON.parse(text.slice(start, i)) as string;
  };
  const value = (path: readonly string[] | undefined): void => {
    const c = text[i];
    if (c === "{") {
      object(path);
      return;
    }
    if (c === "[") {
      array();
      return;
    }
    if (c === '"') {
      string();
      return;
    }
    if (c === "-" || (c !== undefined && c >= "0" && c <= "9")) {
      NUMBER.lastIndex = i;
      if (!NUMBER.test(text)) throw new Stop(i, "invalid number");
      i = NUMBER.lastIndex;
      return;
    }
    for (const literal of ["true", "false", "null"]) {
      if (text.startsWith(literal, i)) {
        i += literal.length;
        return;
      }
    }
    throw new Stop(i, `unexpected ${shown()}, expected a value`);
  };
  const object = (path: readonly string[] | undefined): void => {
    i += 1;
    space();
    if (text[i] === "}") {
      i += 1;
      return;
    }
    for (;;) {
      if (text[i] !== '"') throw new Stop(i, `unexpected ${shown()}, expected a double-quoted property name`);
      const keyAt = i;
      const key = string();
      const at = path === undefined ? undefined : [...path, key];
      if (at !== undefined) keyLines.set(at.join("."), lineOf(text, keyAt));
      space();
      if (text[i] !== ":") throw new Stop(i, `unexpected ${shown()}, expected ':' after a property name`);
      i += 1;
      space();
      value(at);
      space();
      if (text[i] === "}") {
        i += 1;
        return;
      }
      if (text[i] !== ",") throw new Stop(i, `unexpected ${shown()}, expected ',' or '}' after a property value`);
      i += 1;
      space();
      if (text[i] === "}") throw new Stop(i, "unexpected '}' after ',' (JSON allows no trailing comma)");
    }
  };
  const array = (): void => {
    i += 1;
    space();
    if (text[i] === "]") {
      i += 1;
      return;
    }
    for (;;) {
      value(undefined);
      space();
      if (text[i] === "]") {
        i += 1;
        return;
      }
      if (text[i] !== ",") throw new Stop(i, `unexpected ${shown()}, expected ',' or ']' after a list item`);
      i += 1;
      space();
      if (text[i] === "]") throw new Stop(i, "unexpected ']' after ',' (JSON allows no trailing comma)");
    }
  };

  try {
    if (text.charCodeAt(0) === 0xfeff) i = 1;
    space();
    value([]);
    space();
    if (i < text.length) throw new Stop(i, `unexpected ${shown()} after the end of the document`);
    return { problem: undefined, keyLines };
  } catch (err: unknown) {
    if (!(err instanceof Stop)) return { problem: undefined, keyLines };
    const line = lineOf(text, err.offset);
    const column = err.offset - text.lastIndexOf("\n", err.offset - 1);
    return { problem: { line, column, reason: err.reason }, keyLines };
  }
}

/** The 1-based line of `offset` in `text`. */
export function lineOf(text: string, offset: number): number {
  let line = 1;
  for (let at = text.indexOf("\n"); at !== -1 && at < offset; at = text.indexOf("\n", at + 1)) line += 1;
  return line;
}
