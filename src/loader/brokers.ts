import type { PubSubOptions } from "./config.js";
import { schemaNodeAt } from "./schema.js";

type BrokerOptions = Pick<PubSubOptions, "pub_sub_driver" | "drivers" | "redis" | "nats">;

/** A built-in driver that talks to a broker instead of binding a port. */
export interface BrokerDriver {
  /** The built-in alias. */
  readonly alias: string;
  /** The config section of its options. */
  readonly section: "redis" | "nats";
  /** Where its publishers publish, and the default listen address of its subscribers. */
  address(options: BrokerOptions): string;
}

function schemaDefault(path: string[]): unknown {
  return schemaNodeAt(path)?.default;
}

/**
 * The built-in broker drivers. They bind nothing, so every process may publish
 * (`pub_sub_use_multiproc: false`), and a subscriber's listen addresses name brokers:
 * `publishers` defaults to the broker of the driver's section.
 */
export const BROKER_DRIVERS: Readonly<Record<string, BrokerDriver>> = Object.freeze({
  redis_pubsub_driver: {
    alias: "redis_pubsub_driver",
    section: "redis",
    address: (options: BrokerOptions) => options.redis?.url ?? String(schemaDefault(["redis", "url"])),
  },
  nats_pubsub_driver: {
    alias: "nats_pubsub_driver",
    section: "nats",
    address: (options: BrokerOptions) => (options.nats?.servers ?? (schemaDefault(["nats", "servers"]) as string[])).join(","),
  },
});

/**
 * The broker driver `pub_sub_driver` names, directly or through a user alias (resolved
 * as the loader resolves it: user aliases first), or undefined for any other driver.
 */
export function brokerDriverOf(options: BrokerOptions): BrokerDriver | undefined {
  const name = options.pub_sub_driver ?? "";
  const target = options.drivers?.[name] ?? name;
  return Object.hasOwn(BROKER_DRIVERS, target) ? BROKER_DRIVERS[target] : undefined;
}
