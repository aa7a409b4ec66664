import { closest, distance } from "fastest-levenshtein";
import { ConfigError } from "../errors.js";
import { configSchema, SCHEMA_KEY, type SchemaNode } from "./schema.js";
import { checkTree, fromText, isPlainObject, refuseKey, setOwn } from "./text-values.js";

/** One source of options (file, environment, overrides) and where each option came from. */
export interface OptionLayer {
  values: Record<string, unknown>;
  origins: Map<string, string>;
}

/** Prefix of the environment variables that set options: `PUBSUB_PUBLISHER_PORT=9000`. */
export const ENV_PREFIX = "PUBSUB_";

/**
 * The environment variable that sets an option: `publisher_port` is
 * `PUBSUB_PUBLISHER_PORT`, and a nested one, given as a dotted path, joins its parts
 * with `_`: `redis.url` is `PUBSUB_REDIS_URL`.
 */
export function envVarName(option: string): string {
  return `${ENV_PREFIX}${option.replaceAll(".", "_").toUpperCase()}`;
}

/**
 * Every named option path, shallowest first: each top-level option, and each option
 * inside a section with named options (`zmq.linger_ms`, `redis.tls.ca_file`). A map of
 * free keys (`drivers`) is one option, set whole: by an environment variable as JSON.
 */
export function optionPaths(node: SchemaNode = configSchema, path: readonly string[] = []): string[][] {
  const paths: string[][] = [];
  for (const [name, child] of Object.entries(node.properties ?? {})) {
    if (name === SCHEMA_KEY) continue;
    const at = [...path, name];
    paths.push(at);
    if (child.properties !== undefined) paths.push(...optionPaths(child, at));
  }
  return paths;
}

/**
 * A layer from a parsed config file.
 *
 * @throws {@link ConfigError} for a `__proto__`, `constructor` or `prototype` key, or a
 * file nested too deep or too large (see {@link checkTree}).
 */
export function fileLayer(contents: Record<string, unknown>, origin: string): OptionLayer {
  checkTree(contents, origin);
  const origins = new Map(Object.keys(contents).map((key) => [key, origin]));
  // The named options inside sections too, so an option the file leaves out of a section
  // it sets is known to be a default (see `pubsub-run check --origins`).
  for (const path of optionPaths()) if (path.length > 1 && hasPath(contents, path)) origins.set(path.join("."), origin);
  return { values: contents, origins };
}

function hasPath(root: Record<string, unknown>, path: readonly string[]): boolean {
  let node: unknown = root;
  for (const segment of path) {
    if (!isPlainObject(node) || !Object.hasOwn(node, segment)) return false;
    node = node[segment];
  }
  return true;
}

/**
 * A layer from `PUBSUB_<OPTION>` environment variables, nested options included
 * (`PUBSUB_REDIS_URL` or `PUBSUB_REDIS__URL` sets `redis.url`; `PUBSUB_REDIS` the whole
 * section, as JSON, and the nested variables win over it). Only the schema's options
 * are read: other `PUBSUB_*` variables belong to other tools (Google Cloud's
 * `PUBSUB_EMULATOR_HOST`, for one) and are left alone (see {@link envWarnings}).
 */
export function envLayer(env: NodeJS.ProcessEnv): OptionLayer {
  const layer: OptionLayer = { values: {}, origins: new Map() };
  for (const path of optionPaths()) {
    // A nested option's parts may also be joined with `__`: PUBSUB_REDIS__URL.
    const names = path.length > 1 ? [envVarName(path.join(".")), envVarName(path.join("__"))] : [envVarName(path.join("."))];
    for (const name of names) {
      const text = Object.hasOwn(env, name) ? env[name] : undefined;
      if (text === undefined) continue;
      setPath(layer.values, path, fromText(path, text, name));
      layer.origins.set(path.join("."), name);
    }
  }
  return layer;
}

/**
 * Warnings about `PUBSUB_*` variables that name no option but are a typo away from one
 * (`PUBSUB_PUBLISHER_PROT`): they are ignored, as every variable that names no option
 * is, and the warning says which was meant. Variables of other tools
 * (`PUBSUB_EMULATOR_HOST`) are nowhere near an option and pass silently.
 */
export function envWarnings(env: NodeJS.ProcessEnv): string[] {
  const known = optionPaths().map((path) => envVarName(path.join(".")));
  const warnings: string[] = [];
  for (const name of Object.keys(env)) {
    if (!name.startsWith(ENV_PREFIX)) continue;
    const single = name.replaceAll("__", "_");
    if (known.includes(single)) continue;
    const nearest = closest(single, known);
    if (distance(single, nearest) <= MAX_ENV_TYPO) {
      warnings.push(`${name}: names no option and is ignored; did you mean ${nearest}?`);
    }
  }
  return warnings;
}

/** How many edits away from an option's variable a `PUBSUB_*` variable is taken for a typo of it. */
const MAX_ENV_TYPO = 2;

/**
 * A layer from overrides: `"key=value"` strings as `--set` gives them (the key may be a
 * dotted path such as `drivers.mine`), or an object of values.
 */
export function overridesLayer(overrides: readonly string[] | Record<string, unknown>): OptionLayer {
  const layer: OptionLayer = { values: {}, origins: new Map() };
  if (!Array.isArray(overrides)) {
    checkTree(overrides, "overrides");
    for (const [key, value] of Object.entries(overrides)) {
      setOwn(layer.values, key, value);
      layer.origins.set(key, `overrides.${key}`);
    }
    return layer;
  }
  for (const assignment of overrides as readonly string[]) {
    const eq = assignment.indexOf("=");
    const key = eq > 0 ? assignment.slice(0, eq).trim() : "";
    if (key === "") {
      throw new ConfigError(`--set ${JSON.stringify(assignment)}: expected key=value, e.g. --set publisher_port=8866`);
    }
    const path = key.split(".");
    const origin = `--set ${key}`;
    path.forEach((segment, i) => refuseKey(segment, origin, path.slice(0, i + 1)));
    setPath(layer.values, path, fromText(path, assignment.slice(eq + 1), origin));
    layer.origins.set(path.join("."), origin);
  }
  return layer;
}

/**
 * Merges layers, later ones winning. Maps (such as `drivers`) merge key by key; lists
 * and scalars are replaced whole.
 */
export function mergeLayers(layers: readonly OptionLayer[]): OptionLayer {
  const merged: OptionLayer = { values: {}, origins: new Map() };
  for (const layer of layers) {
    deepAssign(merged.values, layer.values);
    for (const [key, origin] of layer.origins) {
      // What an earlier layer set inside this option is now this layer's (or merged
      // with it): its entries no longer say where the value came from.
      for (const earlier of [...merged.origins.keys()]) if (earlier.startsWith(`${key}.`)) merged.origins.delete(earlier);
      merged.origins.set(key, origin);
    }
  }
  return merged;
}

// Every layer's keys were checked (no `__proto__`, `constructor`, `prototype`); these
// still read only own properties and define them, so no key can reach a prototype.
function deepAssign(target: Record<string, unknown>, source: Record<string, unknown>): void {
  for (const [key, value] of Object.entries(source)) {
    const current = ownValue(target, key);
    if (isPlainObject(value) && isPlainObject(current)) deepAssign(current, value);
    else setOwn(target, key, isPlainObject(value) ? structuredClone(value) : value);
  }
}

function setPath(target: Record<string, unknown>, path: readonly string[], value: unknown): void {
  let node = target;
  for (const segment of path.slice(0, -1)) {
    const next = ownValue(node, segment);
    if (isPlainObject(next)) node = next;
    else {
      const created: Record<string, unknown> = {};
      setOwn(node, segment, created);
      node = created;
    }
  }
  setOwn(node, path[path.length - 1] ?? "", value);
}

function ownValue(target: Record<string, unknown>, key: string): unknown {
  return Object.hasOwn(target, key) ? target[key] : undefined;
}
