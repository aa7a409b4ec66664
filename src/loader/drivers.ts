import { access } from "node:fs/promises";
import { createRequire } from "node:module";
import { isAbsolute, join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { closest, distance } from "fastest-levenshtein";
import type { DbDriverFactory, DriverFactory, DriverRole } from "../contract.js";
import {
  DriverLoadError,
  DriverNotFoundError,
  DriverShapeError,
  UnknownDriverError,
  errorMessages,
  isErrnoException,
  isPubSubError,
} from "../errors.js";
import { displayPath } from "./display-path.js";
import type { ResolvedConfig } from "./resolve-config.js";

/**
 * The built-in driver aliases and the module each one loads: the one line a new
 * built-in driver adds. Users add their own aliases in the config's `drivers` map; a
 * driver option may also name a module path or an npm package.
 */
export const BUILTIN_DRIVERS: Readonly<Record<string, string>> = Object.freeze({
  zmq_pubsub_driver: "pubsub-run/drivers/zmq",
  zmq_pubsub_multiproc_driver: "pubsub-run/drivers/zmq-multiproc",
  redis_pubsub_driver: "pubsub-run/drivers/redis",
  nats_pubsub_driver: "pubsub-run/drivers/nats",
  etcd_pubsub_driver: "pubsub-run/drivers/etcd",
  // Dragonflow's name for its Redis pub/sub driver: the same wire (channel = topic).
  redis_db_pubsub_driver: "pubsub-run/drivers/redis",
});

/** The built-in northbound database drivers (`nb_db_class`), as {@link BUILTIN_DRIVERS}. */
export const BUILTIN_DB_DRIVERS: Readonly<Record<string, string>> = Object.freeze({
  etcd_nb_db_driver: "pubsub-run/db/etcd",
  redis_nb_db_driver: "pubsub-run/db/redis",
});

/** The config option that names each role's driver. */
export const DRIVER_OPTION: Readonly<Record<DriverRole, "pub_sub_driver" | "pub_sub_multiproc_driver">> = Object.freeze({
  network: "pub_sub_driver",
  multiproc: "pub_sub_multiproc_driver",
});

/** How a driver name was resolved. */
export type DriverSource = "builtin" | "alias" | "path" | "package";

/** A driver name resolved to a module that can be imported. */
export interface ResolvedDriver {
  /** The name as the config gave it. */
  name: string;
  /** What it named: a built-in alias, a user alias, a module path or an npm package. */
  source: DriverSource;
  /** The module specifier after alias lookup. */
  specifier: string;
  /** What `import()` receives: a file URL, or a package specifier for built-ins. */
  importTarget: string;
}

/** A role's driver, resolved and imported, with what error messages need to name it. */
export interface DriverModule {
  role: DriverRole;
  resolved: ResolvedDriver;
  /** Prefix of error messages about this driver: `<origin>: <option>`. */
  label: string;
  factory: DriverFactory;
}

/** The northbound database driver, resolved and imported (`nb_db_class`). */
export interface DbDriverModule {
  resolved: ResolvedDriver;
  /** Prefix of error messages about this driver: `<origin>: nb_db_class`. */
  label: string;
  factory: DbDriverFactory;
}

/** What resolving a driver needs to know. */
interface DriverLookup {
  /** The built-in aliases of this kind of driver. */
  builtins: Readonly<Record<string, string>>;
  /** What the module's default export must be, for the shape error's fix. */
  shape: string;
  /** User aliases from the config's `drivers` map. */
  aliases: Readonly<Record<string, string>>;
  /** Directory that relative paths and packages resolve from (the config file's). */
  baseDir: string;
  /** Prefix of error messages: `<origin>: <option>`. */
  label: string;
}

/**
 * Finds and imports the driver module the config names for `role`: a user alias from
 * `drivers`, a built-in alias, a path (relative to the config file) or an npm package
 * installed where the config file lives. Checks, the moment it loads, that its default
 * export is a factory function.
 *
 * @throws {@link UnknownDriverError}, {@link DriverNotFoundError}, {@link DriverLoadError}
 * or {@link DriverShapeError}, each naming the option, where it was set and the fix.
 */
export async function importDriverModule(resolvedConfig: ResolvedConfig, role: DriverRole): Promise<DriverModule> {
  const option = DRIVER_OPTION[role];
  const lookup = lookupFor(resolvedConfig, option, BUILTIN_DRIVERS, "(config, context) => ({ getPublisher, getSubscriber })");
  const resolved = await resolveDriver(resolvedConfig.config[option], lookup);
  const factory = (await importFactory(resolved, lookup)) as DriverFactory;
  return { role, resolved, label: lookup.label, factory };
}

/**
 * Finds and imports the northbound database driver `nb_db_class` names, the way
 * {@link importDriverModule} finds a pub/sub driver (built-in alias, user alias, path or
 * package). Call it only when `nb_db_class` is set.
 */
export async function importDbDriverModule(resolvedConfig: ResolvedConfig): Promise<DbDriverModule> {
  const lookup = lookupFor(
    resolvedConfig,
    "nb_db_class",
    BUILTIN_DB_DRIVERS,
    "(config, context) => ({ initialize, getKey, getAllKeys, ... })",
  );
  const resolved = await resolveDriver(resolvedConfig.config.nb_db_class, lookup);
  const factory = (await importFactory(resolved, lookup)) as DbDriverFactory;
  return { resolved, label: lookup.label, factory };
}

function lookupFor(
  resolvedConfig: ResolvedConfig,
  option: string,
  builtins: Readonly<Record<string, string>>,
  shape: string,
): DriverLookup {
  const origin = resolvedConfig.origins.get(option);
  return {
    builtins,
    shape,
    aliases: resolvedConfig.config.drivers,
    baseDir: resolvedConfig.baseDir,
    label: origin === undefined ? `${option} (default)` : `${origin}: ${option}`,
  };
}

async function resolveDriver(name: string, lookup: DriverLookup): Promise<ResolvedDriver> {
  const aliased = lookup.aliases[name];
  if (aliased !== undefined) {
    const builtin = lookup.builtins[aliased];
    if (builtin !== undefined) return { name, source: "alias", specifier: aliased, importTarget: builtin };
    return { name, source: "alias", ...(await resolveSpecifier(aliased, lookup)) };
  }
  const builtin = lookup.builtins[name];
  if (builtin !== undefined) return { name, source: "builtin", specifier: builtin, importTarget: builtin };
  const resolved = await resolveSpecifier(name, lookup);
  return { name, source: isPathLike(name) ? "path" : "package", ...resolved };
}

async function resolveSpecifier(specifier: string, lookup: DriverLookup): Promise<{ specifier: string; importTarget: string }> {
  if (isPathLike(specifier)) {
    const file = specifier.startsWith("file:") ? new URL(specifier).pathname : resolve(lookup.baseDir, specifier);
    try {
      await access(file);
    } catch (err: unknown) {
      throw new DriverNotFoundError(
        `${lookup.label}: driver module '${specifier}' not found (looked for ${displayPath(file)}); fix the path, relative to the config file`,
        { cause: err },
      );
    }
    return { specifier, importTarget: pathToFileURL(file).href };
  }
  const file = resolvePackage(specifier, lookup.baseDir);
  if (file !== undefined) return { specifier, importTarget: pathToFileURL(file).href };
  // Not resolvable with require(): an ESM-only package, or one installed beside pubsub.
  return { specifier, importTarget: specifier };
}

/** Resolves an npm package from `baseDir`, or undefined when require() cannot see it. */
function resolvePackage(specifier: string, baseDir: string): string | undefined {
  try {
    return createRequire(join(baseDir, "noop.js")).resolve(specifier);
  } catch (err: unknown) {
    if (isErrnoException(err) && (err.code === "MODULE_NOT_FOUND" || err.code === "ERR_PACKAGE_PATH_NOT_EXPORTED")) {
      return undefined;
    }
    throw err;
  }
}

/**
 * Imports a resolved driver module; its default export must be a factory function.
 * CommonJS modules whose `module.exports.default` is the factory are accepted too.
 */
async function importFactory(resolved: ResolvedDriver, lookup: DriverLookup): Promise<unknown> {
  let mod: unknown;
  try {
    mod = await import(resolved.importTarget);
  } catch (err: unknown) {
    throw importFailure(err, resolved, lookup);
  }
  const record = mod as Record<string, unknown>;
  let factory = record["default"];
  if (typeof factory === "object" && factory !== null && typeof (factory as Record<string, unknown>)["default"] === "function") {
    factory = (factory as Record<string, unknown>)["default"];
  }
  if (typeof factory !== "function") {
    const what =
      factory === undefined
        ? `has no default export (exports: ${Object.keys(record).join(", ") || "none"})`
        : `default export is not a function: received ${shapeOf(factory)}`;
    throw new DriverShapeError(`${lookup.label}: driver module '${resolved.specifier}' ${what}; export default a factory ${lookup.shape}`);
  }
  return factory;
}

function importFailure(err: unknown, resolved: ResolvedDriver, lookup: DriverLookup): Error {
  // A driver that explains its own failure (a built-in one whose client package is missing).
  if (err instanceof DriverLoadError || (isPubSubError(err) && err.code === "PUBSUB_ERR_DRIVER_LOAD")) {
    return new DriverLoadError(`${lookup.label}: ${err.message}`, { cause: err });
  }
  const code = isErrnoException(err) ? err.code : undefined;
  const message = err instanceof Error ? err.message : String(err);
  const missing = /Cannot find (?:package|module) '([^']+)'/.exec(message)?.[1];
  const isTarget =
    code === "ERR_PACKAGE_PATH_NOT_EXPORTED" ||
    (missing !== undefined && !resolved.importTarget.startsWith("file:") && packageName(missing) === packageName(resolved.importTarget));
  if ((code === "ERR_MODULE_NOT_FOUND" || code === "MODULE_NOT_FOUND" || code === "ERR_PACKAGE_PATH_NOT_EXPORTED") && isTarget) {
    return notFound(resolved, lookup, err);
  }
  if (missing !== undefined && !missing.startsWith("/") && !missing.startsWith(".")) {
    const pkg = packageName(missing);
    return new DriverLoadError(errorMessages.packageMissing(`${lookup.label}: driver '${resolved.name}'`, pkg), { cause: err });
  }
  return new DriverLoadError(`${lookup.label}: driver module '${resolved.specifier}' failed to load: ${message.split("\n")[0]}`, {
    cause: err,
  });
}

/** What npm accepts as an unscoped package name (no capitals, no leading dot or underscore). */
const NPM_NAME = /^[a-z0-9][a-z0-9._-]*$/;

/**
 * The error for a name that resolved to nothing importable: an unknown alias for a plain
 * word, else a missing package with the command that installs it.
 */
function notFound(resolved: ResolvedDriver, lookup: DriverLookup, cause: unknown): Error {
  const name = resolved.specifier;
  if (resolved.source === "builtin") {
    return new DriverNotFoundError(
      `${lookup.label}: built-in driver '${resolved.name}' (${resolved.importTarget}) is not available in this build of pubsub; reinstall pubsub or pick another driver`,
      { cause },
    );
  }
  if (/^[A-Za-z0-9_.-]+$/.test(name)) {
    const known = [...Object.keys(lookup.builtins), ...Object.keys(lookup.aliases)];
    const nearest = closest(name, known);
    if (distance(name, nearest) <= Math.max(2, Math.floor(name.length / 3))) {
      return new UnknownDriverError(
        `${lookup.label}: unknown driver '${name}'; did you mean ${nearest}? known: ${known.join(", ")} (or give a module path, or install an npm package of that name)`,
        { cause },
      );
    }
    // No alias is near: as likely an npm package that is not installed, so say how to install it.
    const install = NPM_NAME.test(name)
      ? `; no package '${name}' is installed either (searched from ${displayPath(lookup.baseDir)}): install it with: npm install ${name}, or give a module path`
      : " (or give a module path, or install an npm package of that name)";
    return new UnknownDriverError(`${lookup.label}: unknown driver '${name}'; known: ${known.join(", ")}${install}`, { cause });
  }
  return new DriverNotFoundError(
    `${lookup.label}: driver package '${name}' is not installed (searched from ${displayPath(lookup.baseDir)}); install it with: npm install ${packageName(name)}`,
    { cause },
  );
}

/** The npm package part of a specifier: `@scope/pkg/sub` -> `@scope/pkg`. */
function packageName(specifier: string): string {
  const parts = specifier.split("/");
  return specifier.startsWith("@") ? parts.slice(0, 2).join("/") : (parts[0] ?? specifier);
}

function isPathLike(specifier: string): boolean {
  return (
    specifier.startsWith("./") || specifier.startsWith("../") || specifier === "." || specifier.startsWith("file:") || isAbsolute(specifier)
  );
}

/** A value's shape for an error message: `function`, `null`, `array`, `object with keys a, b`. */
export function shapeOf(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "array";
  if (typeof value === "object") {
    const keys = Object.keys(value);
    return keys.length === 0 ? "object with no keys" : `object with keys ${keys.slice(0, 6).join(", ")}`;
  }
  return typeof value;
}

/** The names in `methods` that `value` lacks as functions. */
export function missingMethods(value: unknown, methods: readonly string[]): string[] {
  if (typeof value !== "object" || value === null) return [...methods];
  const record = value as Record<string, unknown>;
  return methods.filter((name) => typeof record[name] !== "function");
}
