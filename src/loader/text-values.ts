import { printableOptionValue } from "../secrets.js";
import { ConfigError, errorMessages } from "../errors.js";
import { hasType, schemaNodeAt } from "./schema.js";

/**
 * Turns an option value written as text (INI, environment variable, `--set`) into the
 * shape the schema expects before validation: lists are comma-separated or JSON, maps
 * are JSON, integers are decimal digits, booleans may be capitalised. Other scalars stay
 * strings: the validator checks them against the schema's types.
 *
 * @param origin - Where the text came from (`PUBSUB_TOPICS`, `--set topics`, a file),
 *   for the error.
 * @throws {@link ConfigError} for a list or map that looks like JSON but does not parse,
 *   a map given for a list, or an integer that is not digits or cannot be represented
 *   exactly.
 */
export function fromText(path: readonly string[], text: string, origin: string): unknown {
  const node = schemaNodeAt(path);
  const trimmed = text.trim();
  const refuse = (problem: string): never => {
    // A map may hold secrets (redis.password) that masking a path cannot find in broken JSON.
    const got = hasType(node, "object") ? `${text.length} characters` : showText(String(printableOptionValue(path.join("."), text)));
    throw new ConfigError(errorMessages.badOption(origin, path.join("."), problem, got), { option: path.join(".") });
  };
  if (hasType(node, "array")) {
    if (trimmed.startsWith("{")) refuse("must be a list (comma-separated, or a JSON list), not a map");
    if (!trimmed.startsWith("[")) return trimmed === "" ? [] : trimmed.split(",").map((item) => item.trim());
    const list = parseJson(trimmed, refuse, 'write a JSON list such as ["D","tenant-a"] or comma-separated values');
    if (!Array.isArray(list)) refuse("must be a list");
    return checkTree(list, origin, path);
  }
  if (hasType(node, "object") && trimmed.startsWith("{")) {
    return checkTree(parseJson(trimmed, refuse, 'write a JSON map such as {"mine":"./mine.mjs"}'), origin, path);
  }
  if (hasType(node, "integer")) {
    const problem = integerTextProblem(trimmed);
    if (problem !== undefined) refuse(problem);
    return Number(trimmed);
  }
  // Dragonflow (oslo.config) files write True and False.
  if (hasType(node, "boolean") && /^(true|false)$/i.test(trimmed)) return trimmed.toLowerCase();
  return text;
}

/**
 * What is wrong with `text` as an integer option's value, or undefined when it is an
 * integer that a JavaScript number holds exactly (at most 2^53 - 1 either way).
 */
export function integerTextProblem(text: string): string | undefined {
  if (!/^[+-]?\d+$/.test(text)) return "must be an integer";
  return Number.isSafeInteger(Number(text)) ? undefined : "must be an integer between -9007199254740991 and 9007199254740991";
}

/**
 * Applies {@link fromText} to every string value of a parsed INI section, where the
 * parser leaves everything a string.
 */
export function fromTextDeep(values: Record<string, unknown>, origin: string, path: readonly string[] = []): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(values)) {
    const at = [...path, key];
    refuseKey(key, origin, at);
    if (typeof value === "string") setOwn(out, key, fromText(at, value, origin));
    else if (isPlainObject(value)) setOwn(out, key, fromTextDeep(value, origin, at));
    else setOwn(out, key, value);
  }
  return out;
}

/** True for a non-null, non-array object. */
export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** Keys that reach `Object.prototype` through an assignment; never an option's name. */
export const FORBIDDEN_KEYS: readonly string[] = Object.freeze(["__proto__", "constructor", "prototype"]);

/** Deepest nesting a config may have: the schema's is 3; a generous bound. */
export const MAX_DEPTH = 32;
/** Most values a config may hold, counting each YAML alias as the copy it expands to. */
export const MAX_VALUES = 10_000;
/** Most YAML alias uses a config may have. */
export const MAX_ALIASES = 100;

/** Throws a {@link ConfigError} when `key` is one of {@link FORBIDDEN_KEYS}. */
export function refuseKey(key: string, origin: string, path: readonly string[]): void {
  if (!FORBIDDEN_KEYS.includes(key)) return;
  throw new ConfigError(
    `${origin}: ${path.join(".")}: key '${key}' is refused (${FORBIDDEN_KEYS.join(", ")} are never option names); remove it`,
    { option: path.join(".") },
  );
}

/**
 * Checks a parsed value before anything else walks it, without recursion (so a
 * 100,000-deep file cannot overflow the stack): no forbidden key at any depth, at most
 * {@link MAX_DEPTH} levels, {@link MAX_VALUES} values and {@link MAX_ALIASES} shared
 * nodes (YAML aliases: an alias bomb expands to billions of values). Returns `value`.
 *
 * @throws {@link ConfigError} naming `origin` and the path where the limit was crossed.
 */
export function checkTree<T>(value: T, origin: string, basePath: readonly string[] = []): T {
  const seen = new Set<object>();
  const stack: { node: unknown; path: readonly string[] }[] = [{ node: value, path: basePath }];
  let values = 0;
  let aliases = 0;
  const fail = (path: readonly string[], problem: string): never => {
    const where =
      path.length === 0 ? "(top level)" : path.length > 6 ? `${path.slice(0, 5).join(".")}...(${path.length} levels)` : path.join(".");
    throw new ConfigError(`${origin}: ${where}: ${problem}`, { option: path.join(".") || undefined });
  };
  for (let item = stack.pop(); item !== undefined; item = stack.pop()) {
    const { node, path } = item;
    values += 1;
    if (values > MAX_VALUES)
      fail(path, `the config holds more than ${MAX_VALUES} values (YAML aliases count as the copies they expand to)`);
    if (typeof node !== "object" || node === null) continue;
    if (seen.has(node) && (aliases += 1) > MAX_ALIASES) fail(path, `the config uses more than ${MAX_ALIASES} YAML aliases`);
    seen.add(node);
    if (path.length - basePath.length >= MAX_DEPTH) fail(path, `nested more than ${MAX_DEPTH} levels deep`);
    const entries: [string, unknown][] = Array.isArray(node) ? node.map((v, i) => [String(i), v]) : Object.entries(node);
    for (const [key, child] of entries) {
      if (!Array.isArray(node)) refuseKey(key, origin, [...path, key]);
      stack.push({ node: child, path: [...path, key] });
    }
  }
  return value;
}

/** Sets an own property, never a setter: `__proto__` as a key cannot change a prototype. */
export function setOwn(target: Record<string, unknown>, key: string, value: unknown): void {
  Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
}

function parseJson(json: string, refuse: (problem: string) => never, fix: string): unknown {
  try {
    return JSON.parse(json) as unknown;
  } catch (err: unknown) {
    const reason = err instanceof Error ? (err.message.split("\n")[0] ?? "") : String(err);
    return refuse(`not valid JSON (${reason}); ${fix}`);
  }
}

function showText(text: string): string {
  const json = JSON.stringify(text);
  return json.length > 60 ? `${json.slice(0, 57)}..." (${text.length} characters)` : json;
}
