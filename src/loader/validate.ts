import type { ErrorObject } from "ajv";
import { closest, distance } from "fastest-levenshtein";
import { printableOptionValue } from "../secrets.js";
import { ConfigError, errorMessages } from "../errors.js";
import type { PubSubOptions } from "../contract.js";
import { configValidator, hasType, optionNames, schemaNodeAt, type SchemaNode } from "./schema.js";
import { integerTextProblem, isPlainObject } from "./text-values.js";

/**
 * Names where each option came from (a file path, `PUBSUB_X` or `--set x`), by dotted
 * path: a top-level option, or a nested one that was set alone (`--set zmq.linger_ms`).
 * Read it with {@link originOf}.
 */
export type Origins = ReadonlyMap<string, string>;

/**
 * Where the option at `path` came from: the entry of its longest prefix, so
 * `zmq.linger_ms` names `--set zmq.linger_ms` when that set it, else whatever set `zmq`.
 */
export function originOf(origins: Origins, path: readonly string[]): string | undefined {
  for (let end = path.length; end > 0; end -= 1) {
    const origin = origins.get(path.slice(0, end).join("."));
    if (origin !== undefined) return origin;
  }
  return undefined;
}

/**
 * Validates merged options against the schema, filling defaults and coercing text in
 * place. Throws a {@link ConfigError} whose message is the first problem, one line:
 * `<origin>: <option>: <what is wrong> (got <value>)`; `problems` lists every one.
 */
export function validateOptions(options: Record<string, unknown>, origins: Origins, fallbackOrigin: string): PubSubOptions {
  const integers = integerProblems(options, origins, fallbackOrigin);
  const validate = configValidator();
  if (validate(options) && integers.size === 0) return options;
  const schemaProblems = (validate.errors ?? [])
    // An anyOf in the schema lists completions for editors next to a branch that takes
    // any string: it fails only with the node's own `type`, which says it better.
    .filter((error) => error.keyword !== "anyOf" && !error.schemaPath.includes("/anyOf/"))
    // The validator coerced what integerProblems refused (`true` to 1): say it once.
    .filter((error) => !integers.has(error.instancePath))
    .map((error) => problemLine(error, options, origins, fallbackOrigin));
  const problems = [...new Set([...integers.values(), ...schemaProblems])];
  throw new ConfigError(problems[0] ?? `${fallbackOrigin}: invalid configuration`, { problems });
}

/**
 * Integer options the validator would take wrongly: it coerces `true` to 1, and its
 * `integer` passes `1e30` and 2^53 + 1, which no longer are the number written. Text
 * from INI, environment and `--set` was converted already (see `fromText`); this
 * catches what YAML and JSON files and the `overrides` object give, keyed by the JSON
 * pointer the validator names the option by.
 */
function integerProblems(options: Record<string, unknown>, origins: Origins, fallbackOrigin: string): Map<string, string> {
  const problems = new Map<string, string>();
  const visit = (node: SchemaNode | undefined, value: unknown, path: readonly string[]): void => {
    if (node === undefined) return;
    if (hasType(node, "integer")) {
      const problem = integerProblem(value);
      if (problem !== undefined) {
        const line = errorMessages.badOption(originOf(origins, path) ?? fallbackOrigin, path.join("."), problem, show(value));
        problems.set(path.map((segment) => `/${escapePointer(segment)}`).join(""), line);
      }
      return;
    }
    if (!isPlainObject(value)) return;
    for (const [key, child] of Object.entries(value)) {
      const next = node.properties !== undefined && Object.hasOwn(node.properties, key) ? node.properties[key] : node.additionalProperties;
      visit(typeof next === "object" ? next : undefined, child, [...path, key]);
    }
  };
  visit(schemaNodeAt([]), options, []);
  return problems;
}

function integerProblem(value: unknown): string | undefined {
  if (typeof value === "boolean") return "must be an integer, not a boolean";
  if (Array.isArray(value)) return "must be an integer, not a list";
  if (typeof value === "string") return integerTextProblem(value.trim());
  if (typeof value !== "number" || Number.isSafeInteger(value)) return undefined;
  if (!Number.isFinite(value)) return "must be a finite integer";
  return Number.isInteger(value) ? "must be an integer between -9007199254740991 and 9007199254740991" : undefined;
}

function problemLine(error: ErrorObject, options: Record<string, unknown>, origins: Origins, fallbackOrigin: string): string {
  const path = error.instancePath.split("/").slice(1).map(unescapePointer);
  const params = error.params as Record<string, unknown>;

  if (error.keyword === "additionalProperties") {
    const name = String(params["additionalProperty"]);
    const full = [...path, name];
    const origin = originOf(origins, full) ?? fallbackOrigin;
    return `${origin}: ${full.join(".")}: unknown option; ${suggest(name, path)}`;
  }
  if (error.keyword === "propertyNames" || error.propertyName !== undefined) {
    const name = String(error.propertyName ?? params["propertyName"]);
    const origin = originOf(origins, [...path, name]) ?? fallbackOrigin;
    return `${origin}: ${[...path, name].join(".")}: invalid name; use letters, digits, '_', '.' and '-'`;
  }

  const origin = originOf(origins, path) ?? fallbackOrigin;
  const where = path.length > 0 ? path.join(".") : "(top level)";
  const got = valueAt(options, path);
  return errorMessages.badOption(origin, where, problem(error, params), show(printableOptionValue(path.join("."), got)));
}

function problem(error: ErrorObject, params: Record<string, unknown>): string {
  switch (error.keyword) {
    case "type":
      return params["type"] === "object" && error.instancePath === ""
        ? "the config must be a mapping of option names to values"
        : `must be ${article(String(params["type"]))}`;
    case "minimum":
    case "maximum":
    case "exclusiveMinimum":
    case "exclusiveMaximum":
      return `must be ${String(params["comparison"])} ${String(params["limit"])}`;
    case "minLength":
      return params["limit"] === 1 ? "must not be empty" : `must be at least ${String(params["limit"])} characters`;
    case "pattern":
      return `must match ${String(params["pattern"])}`;
    case "enum":
      return `must be one of: ${(params["allowedValues"] as unknown[]).map(show).join(", ")}`;
    default:
      return error.message ?? "is invalid";
  }
}

/** "did you mean X?" for a near miss, else the list of valid names. */
function suggest(name: string, parentPath: readonly string[]): string {
  const known = parentPath.length === 0 ? optionNames : Object.keys(schemaNodeAt(parentPath)?.properties ?? {});
  if (known.length === 0) return "remove it";
  const nearest = nearestName(name, known);
  return nearest === undefined ? `valid options: ${known.join(", ")}` : `did you mean ${nearest}?`;
}

/** Shortest name a part must have to be matched inside a longer one ("port" in "publisher_port"). */
const MIN_PART_LENGTH = 4;

/**
 * The valid name `name` most likely stands for: one a few edits away (a typo), else the
 * closest of those that contain it or that it contains (a name cut short, such as
 * `linger` for `linger_ms`, or padded, such as `publisher_port_number`).
 */
function nearestName(name: string, known: readonly string[]): string | undefined {
  if (known.length === 0) return undefined;
  const nearest = closest(name, [...known]);
  if (distance(name, nearest) <= Math.max(2, Math.floor(name.length / 3))) return nearest;
  const lower = name.toLowerCase();
  const related = known.filter((candidate) => {
    const other = candidate.toLowerCase();
    return (lower.length >= MIN_PART_LENGTH && other.includes(lower)) || (other.length >= MIN_PART_LENGTH && lower.includes(other));
  });
  return related.length === 0 ? undefined : closest(name, related);
}

function article(type: string): string {
  return /^[aeiou]/.test(type) ? `an ${type}` : `a ${type}`;
}

function valueAt(root: unknown, path: readonly string[]): unknown {
  let node = root;
  for (const segment of path) {
    if (typeof node !== "object" || node === null) return undefined;
    node = (node as Record<string, unknown>)[segment];
  }
  return node;
}

function show(value: unknown): string {
  if (value === undefined) return "nothing";
  if (typeof value === "number") return String(value);
  const json = JSON.stringify(value);
  return json.length > 60 ? `${json.slice(0, 57)}...` : json;
}

function escapePointer(segment: string): string {
  return segment.replace(/~/g, "~0").replace(/\//g, "~1");
}

function unescapePointer(segment: string): string {
  return segment.replace(/~1/g, "/").replace(/~0/g, "~");
}
