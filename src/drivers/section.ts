import type { PubSubConfig } from "../contract.js";
import { ConfigError } from "../errors.js";

type Section = "zmq" | "redis" | "nats" | "etcd";

/**
 * A driver's section of the config, as the loader filled it (every option with a
 * default present); the caller types it. A config built by hand, without the loader, lacks it: that is a
 * programming error, named with its fix.
 *
 * @throws {@link ConfigError} when the section is missing.
 */
export function sectionOf(config: PubSubConfig, section: Section): object {
  const value: unknown = (config as unknown as Record<string, unknown>)[section];
  if (typeof value !== "object" || value === null) {
    throw new ConfigError(
      `${section}: missing from the config the driver received; build the config with resolveConfig() or withDefaults(), which fill every section's defaults`,
      { option: section },
    );
  }
  return value;
}
