import type { PubSubConfig } from "../contract.js";
import { ConfigError } from "../errors.js";

type Section = "zmq" | "redis" | "nats";

/**
 * A driver's section of the config, as the loader filled it (every option with a
 * default present), typed by the caller as such. A config built by hand, without the loader, lacks it: that is a
 * programming error, named with its fix.
 *
 * @throws {@link ConfigError} when the section is missing.
 */
export function sectionOf<T extends object>(config: PubSubConfig, section: Section): T {
  const value = (config as Partial<PubSubConfig>)[section];
  if (typeof value !== "object" || value === null) {
    throw new ConfigError(
      `${section}: missing from the config the driver received; build the config with resolveConfig() or withDefaults(), which fill every section's defaults`,
      { option: section },
    );
  }
  return value as T;
}
