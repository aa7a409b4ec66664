import type { DriverContext, DriverFactory, PubSubApi } from "../agents/api.js";
import { DriverFactoryError, DriverLoadError, DriverShapeError, isErrnoException, isPubSubError } from "../errors.js";
import type { PubSubConfig } from "./config.js";
import { notFound, packageName, type DriverLookup, type ResolvedDriver } from "./resolve-driver.js";
import { describeValue, missingMethods } from "./shape.js";

/**
 * Imports a resolved driver module and checks, the moment it loads, that its default
 * export is a factory function. CommonJS modules whose `module.exports.default` is the
 * factory are accepted too.
 */
export async function importDriver(resolved: ResolvedDriver, lookup: DriverLookup): Promise<DriverFactory> {
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
    const what = factory === undefined
      ? `has no default export (exports: ${Object.keys(record).join(", ") || "none"})`
      : `default export is not a function: received ${describeValue(factory)}`;
    throw new DriverShapeError(
      `${lookup.label}: driver module '${resolved.specifier}' ${what}; export default a factory (config, context) => ({ getPublisher, getSubscriber })`,
    );
  }
  return factory as DriverFactory;
}

/**
 * Calls a driver factory and checks what it returned. A coded error the factory throws
 * passes through as it is; any other is wrapped in a {@link DriverFactoryError}.
 */
export async function createDriver(
  factory: DriverFactory,
  resolved: ResolvedDriver,
  lookup: DriverLookup,
  config: PubSubConfig,
  context: DriverContext,
): Promise<PubSubApi> {
  let api: unknown;
  try {
    api = await factory(config, context);
  } catch (err: unknown) {
    if (isPubSubError(err)) throw err;
    const reason = err instanceof Error ? err.message : String(err);
    throw new DriverFactoryError(`${lookup.label}: driver factory of '${resolved.specifier}' threw: ${reason}`, { cause: err });
  }
  const missing = missingMethods(api, ["getPublisher", "getSubscriber"]);
  if (missing.length > 0) {
    throw new DriverShapeError(
      `${lookup.label}: driver factory of '${resolved.specifier}' returned ${describeValue(api)}, without ${missing.join(", ")}; it must return { getPublisher(), getSubscriber() }`,
    );
  }
  return api as PubSubApi;
}

function importFailure(err: unknown, resolved: ResolvedDriver, lookup: DriverLookup): Error {
  // A driver that explains its own failure (a built-in one whose client package is missing).
  if (err instanceof DriverLoadError || (isPubSubError(err) && err.code === "PUBSUB_ERR_DRIVER_LOAD")) {
    return new DriverLoadError(`${lookup.label}: ${err.message}`, { cause: err });
  }
  const code = isErrnoException(err) ? err.code : undefined;
  const message = err instanceof Error ? err.message : String(err);
  const missing = /Cannot find (?:package|module) '([^']+)'/.exec(message)?.[1];
  const isTarget = code === "ERR_PACKAGE_PATH_NOT_EXPORTED"
    || (missing !== undefined && !resolved.importTarget.startsWith("file:") && packageName(missing) === packageName(resolved.importTarget));
  if ((code === "ERR_MODULE_NOT_FOUND" || code === "MODULE_NOT_FOUND" || code === "ERR_PACKAGE_PATH_NOT_EXPORTED") && isTarget) {
    return notFound(resolved, lookup, err);
  }
  if (missing !== undefined && !missing.startsWith("/") && !missing.startsWith(".")) {
    const pkg = packageName(missing);
    return new DriverLoadError(
      `${lookup.label}: driver '${resolved.name}' needs the package '${pkg}', which is not installed; install it with: npm install ${pkg}`,
      { cause: err },
    );
  }
  return new DriverLoadError(`${lookup.label}: driver module '${resolved.specifier}' failed to load: ${message.split("\n")[0]}`, { cause: err });
}
