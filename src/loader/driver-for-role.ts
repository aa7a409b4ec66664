import type { DriverFactory, DriverRole } from "../agents/api.js";
import type { PubSubConfig } from "./config.js";
import { importDriver } from "./import-driver.js";
import { resolveDriver, type DriverLookup, type ResolvedDriver } from "./resolve-driver.js";
import type { ResolvedConfig } from "./resolve-config.js";

/** The config option that names each role's driver. */
export const DRIVER_OPTION: Readonly<Record<DriverRole, keyof PubSubConfig>> = Object.freeze({
  network: "pub_sub_driver",
  multiproc: "pub_sub_multiproc_driver",
});

/** A role's driver, resolved and imported, with what error messages need to name it. */
export interface LoadedDriverModule {
  role: DriverRole;
  resolved: ResolvedDriver;
  lookup: DriverLookup;
  factory: DriverFactory;
}

/** Resolves and imports the driver module that the config names for `role`. */
export async function loadDriverModule(resolvedConfig: ResolvedConfig, role: DriverRole): Promise<LoadedDriverModule> {
  const option = DRIVER_OPTION[role];
  const { config, origins } = resolvedConfig;
  const lookup: DriverLookup = {
    aliases: config.drivers,
    baseDir: resolvedConfig.baseDir,
    label: labelOf(origins.get(option), option),
  };
  const resolved = await resolveDriver(String(config[option]), lookup);
  const factory = await importDriver(resolved, lookup);
  return { role, resolved, lookup, factory };
}

function labelOf(origin: string | undefined, option: string): string {
  return origin === undefined ? `${option} (default)` : `${origin}: ${option}`;
}
