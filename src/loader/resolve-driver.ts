import { access } from "node:fs/promises";
import { createRequire } from "node:module";
import { isAbsolute, join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { closest, distance } from "fastest-levenshtein";
import { DriverNotFoundError, UnknownDriverError, isErrnoException } from "../errors.js";
import { displayPath } from "./display-path.js";
import { BUILTIN_DRIVERS } from "./registry.js";

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

/** What resolving a driver needs to know. */
export interface DriverLookup {
  /** User aliases from the config's `drivers` map. */
  aliases: Readonly<Record<string, string>>;
  /** Directory that relative paths and packages resolve from (the config file's). */
  baseDir: string;
  /** Prefix of error messages: `<origin>: <option>`. */
  label: string;
}

/**
 * Resolves a driver name: a user alias from `drivers`, a built-in alias, a path (relative
 * to the config file) or an npm package installed where the config file lives.
 */
export async function resolveDriver(name: string, lookup: DriverLookup): Promise<ResolvedDriver> {
  const aliased = lookup.aliases[name];
  if (aliased !== undefined) {
    const builtin = BUILTIN_DRIVERS[aliased];
    if (builtin !== undefined) return { name, source: "alias", specifier: aliased, importTarget: builtin };
    return { name, source: "alias", ...(await resolveSpecifier(aliased, lookup)) };
  }
  const builtin = BUILTIN_DRIVERS[name];
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

/** What npm accepts as an unscoped package name (no capitals, no leading dot or underscore). */
const NPM_NAME = /^[a-z0-9][a-z0-9._-]*$/;

/**
 * The error for a name that resolved to nothing importable: an unknown alias for a plain
 * word, else a missing package with the command that installs it.
 */
export function notFound(resolved: ResolvedDriver, lookup: DriverLookup, cause: unknown): Error {
  const name = resolved.specifier;
  if (resolved.source === "builtin") {
    return new DriverNotFoundError(
      `${lookup.label}: built-in driver '${resolved.name}' (${resolved.importTarget}) is not available in this build of pubsub; reinstall pubsub or pick another driver`,
      { cause },
    );
  }
  if (/^[A-Za-z0-9_.-]+$/.test(name)) {
    const known = [...Object.keys(BUILTIN_DRIVERS), ...Object.keys(lookup.aliases)];
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
export function packageName(specifier: string): string {
  const parts = specifier.split("/");
  return specifier.startsWith("@") ? parts.slice(0, 2).join("/") : (parts[0] ?? specifier);
}

function isPathLike(specifier: string): boolean {
  return specifier.startsWith("./") || specifier.startsWith("../") || specifier === "." || specifier.startsWith("file:") || isAbsolute(specifier);
}
