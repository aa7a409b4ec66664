import type { DriverRole, PubSubApi, PublisherApi, SubscriberApi } from "../agents/api.js";
import { DriverShapeError } from "../errors.js";
import type { Logger } from "../logger.js";
import { loadDriverModule, type LoadedDriverModule } from "./driver-for-role.js";
import { createDriver } from "./import-driver.js";
import { explainingOrigin } from "./origin.js";
import type { ResolvedConfig } from "./resolve-config.js";
import { missingMethods } from "./shape.js";

const PUBLISHER_METHODS = Object.freeze(["initialize", "sendEvent", "close"]);
const SUBSCRIBER_METHODS = Object.freeze([
  "initialize",
  "registerListenAddress",
  "unregisterListenAddress",
  "registerTopic",
  "unregisterTopic",
  "daemonize",
  "close",
]);

/** A role's driver module and what its factory returned. */
export interface CreatedDriver {
  mod: LoadedDriverModule;
  api: PubSubApi;
}

/**
 * Agents from the drivers a resolved config names: each driver module is imported and
 * its factory called once per role, and every agent is checked against the contract
 * before it is handed out. A coded error a factory throws about an option gets the
 * option's origin in front (see `origin.ts`).
 */
export class DriverAgents {
  readonly #resolved: ResolvedConfig;
  readonly #logger: Logger;
  readonly #drivers = new Map<DriverRole, Promise<CreatedDriver>>();

  constructor(resolved: ResolvedConfig, logger: Logger) {
    this.#resolved = resolved;
    this.#logger = logger;
  }

  /** A new, uninitialised publisher of `role`'s driver. */
  async publisher(role: DriverRole): Promise<PublisherApi> {
    const { mod, api } = await this.driver(role);
    return checkAgent<PublisherApi>(api.getPublisher(), "getPublisher", PUBLISHER_METHODS, mod);
  }

  /** A new, uninitialised subscriber of `role`'s driver. */
  async subscriber(role: DriverRole): Promise<SubscriberApi> {
    const { mod, api } = await this.driver(role);
    return checkAgent<SubscriberApi>(api.getSubscriber(), "getSubscriber", SUBSCRIBER_METHODS, mod);
  }

  /**
   * `role`'s driver module, imported, and its factory's result: creating a driver checks
   * its options (the ZeroMQ network driver its transport), without binding anything.
   */
  driver(role: DriverRole): Promise<CreatedDriver> {
    let pending = this.#drivers.get(role);
    if (pending === undefined) {
      const { config, origins } = this.#resolved;
      pending = loadDriverModule(this.#resolved, role).then(async (mod) => ({
        mod,
        api: await explainingOrigin(origins, () =>
          createDriver(mod.factory, mod.resolved, mod.lookup, config, { role, logger: this.#logger }),
        ),
      }));
      this.#drivers.set(role, pending);
    }
    return pending;
  }
}

/** Checks an agent a driver returned has every method of the contract. */
function checkAgent<T>(agent: unknown, getter: string, methods: readonly string[], mod: LoadedDriverModule): T {
  const missing = missingMethods(agent, methods);
  if (missing.length > 0) {
    const what = typeof agent === "object" && agent !== null ? `an object without ${missing.join(", ")}` : String(agent);
    throw new DriverShapeError(`${mod.lookup.label}: ${getter}() of '${mod.resolved.specifier}' returned ${what}`);
  }
  return agent as T;
}
