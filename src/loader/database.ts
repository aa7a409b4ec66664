import type { Logger, NbDbApi } from "../contract.js";
import { ConfigError, DriverFactoryError, DriverShapeError, isPubSubError } from "../errors.js";
import { importDbDriverModule, missingMethods, shapeOf } from "./drivers.js";
import { explainingOrigin } from "./origin.js";
import type { ResolvedConfig } from "./resolve-config.js";

const DB_METHODS = Object.freeze(["initialize", "getKey", "getAllKeys", "setKey", "createKey", "deleteKey", "close"]);

/**
 * The northbound database driver `nb_db_class` names, created (not yet connected:
 * `initialize()` it). Checked against the contract the moment it is made.
 *
 * @param needed - the option that needs the database, for the error when `nb_db_class` is empty.
 * @throws {@link ConfigError} when `nb_db_class` is empty; the loader's driver errors.
 */
export async function createDatabase(resolved: ResolvedConfig, logger: Logger, needed: string): Promise<NbDbApi> {
  if (resolved.config.nb_db_class === "") {
    const origin = resolved.origins.get(needed) ?? needed;
    throw new ConfigError(`${origin}: needs a database: set nb_db_class (etcd_nb_db_driver or redis_nb_db_driver) and remote_db_hosts`, {
      option: needed,
    });
  }
  const mod = await importDbDriverModule(resolved);
  return explainingOrigin(resolved.origins, async () => {
    let db: unknown;
    try {
      db = await mod.factory(resolved.config, { logger });
    } catch (err: unknown) {
      if (isPubSubError(err)) throw err;
      const reason = err instanceof Error ? err.message : String(err);
      throw new DriverFactoryError(`${mod.label}: driver factory of '${mod.resolved.specifier}' threw: ${reason}`, { cause: err });
    }
    const missing = missingMethods(db, DB_METHODS);
    if (missing.length > 0 || typeof (db as Partial<NbDbApi>).address !== "string") {
      throw new DriverShapeError(
        `${mod.label}: driver factory of '${mod.resolved.specifier}' returned ${shapeOf(db)}, without ${[...missing, "address"].join(", ")}; it must return { ${DB_METHODS.join(", ")}, address }`,
      );
    }
    return db as NbDbApi;
  });
}
