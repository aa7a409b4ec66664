import type { DriverDescription, DriverRole, Logger, PubSubApi, PublisherApi, SubscriberApi } from "../contract.js";
import { DriverFactoryError, DriverShapeError, isPubSubError } from "../errors.js";
import { importDriverModule, missingMethods, shapeOf, type DriverModule } from "./drivers.js";
import { explainingOrigin } from "./origin.js";
import type { ResolvedConfig } from "./resolve-config.js";

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

/** What a driver that does not describe itself is taken to be. */
const UNDESCRIBED_LINGER_MS = 5_000;

/** A role's driver module, what its factory returned and what it says about itself. */
export interface CreatedDriver {
  mod: DriverModule;
  api: PubSubApi;
  /** The driver's own description, or what is assumed of a driver without one. */
  description: DriverDescription;
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
    const publisher = api.getPublisher();
    checkAgent(publisher, "getPublisher", PUBLISHER_METHODS, mod);
    return publisher;
  }

  /** A new, uninitialised subscriber of `role`'s driver. */
  async subscriber(role: DriverRole): Promise<SubscriberApi> {
    const { mod, api } = await this.driver(role);
    const subscriber = api.getSubscriber();
    checkAgent(subscriber, "getSubscriber", SUBSCRIBER_METHODS, mod);
    return subscriber;
  }

  /**
   * `role`'s driver module, imported, and its factory's result: creating a driver checks
   * its options (the ZeroMQ network driver its transport), without binding anything.
   */
  driver(role: DriverRole): Promise<CreatedDriver> {
    let pending = this.#drivers.get(role);
    if (pending === undefined) {
      pending = this.#create(role);
      this.#drivers.set(role, pending);
    }
    return pending;
  }

  async #create(role: DriverRole): Promise<CreatedDriver> {
    const { origins } = this.#resolved;
    const mod = await importDriverModule(this.#resolved, role);
    const api = await explainingOrigin(origins, () => createDriver(mod, this.#resolved, role, this.#logger));
    return { mod, api, description: api.description ?? undescribed(mod) };
  }
}

/**
 * Calls a driver factory and checks what it returned. A coded error the factory throws
 * passes through as it is; any other is wrapped in a {@link DriverFactoryError}.
 */
async function createDriver(mod: DriverModule, resolved: ResolvedConfig, role: DriverRole, logger: Logger): Promise<PubSubApi> {
  let api: unknown;
  try {
    api = await mod.factory(resolved.config, { role, logger });
  } catch (err: unknown) {
    if (isPubSubError(err)) throw err;
    const reason = err instanceof Error ? err.message : String(err);
    throw new DriverFactoryError(`${mod.label}: driver factory of '${mod.resolved.specifier}' threw: ${reason}`, { cause: err });
  }
  const missing = missingMethods(api, ["getPublisher", "getSubscriber"]);
  if (missing.length > 0) {
    throw new DriverShapeError(
      `${mod.label}: driver factory of '${mod.resolved.specifier}' returned ${shapeOf(api)}, without ${missing.join(", ")}; it must return { getPublisher(), getSubscriber() }`,
    );
  }
  const description = (api as PubSubApi).description;
  if (description !== undefined && !isDescription(description)) {
    throw new DriverShapeError(
      `${mod.label}: driver factory of '${mod.resolved.specifier}' returned a description that is ${shapeOf(description)}; it needs topology ("bind" or "broker"), address, listenAddresses and linger { option, ms }`,
    );
  }
  return api as PubSubApi;
}

function isDescription(value: unknown): value is DriverDescription {
  if (typeof value !== "object" || value === null) return false;
  const d = value as Partial<DriverDescription>;
  return (
    (d.topology === "bind" || d.topology === "broker") &&
    typeof d.address === "string" &&
    Array.isArray(d.listenAddresses) &&
    d.listenAddresses.every((address) => typeof address === "string") &&
    typeof d.linger?.option === "string" &&
    typeof d.linger.ms === "number" &&
    (d.redact === undefined || typeof d.redact === "function")
  );
}

/** What is assumed of a driver without a description: it binds, at an address it does not say. */
function undescribed(mod: DriverModule): DriverDescription {
  return {
    topology: "bind",
    address: `the address of driver '${mod.resolved.name}'`,
    listenAddresses: [],
    linger: { option: "the linger time", ms: UNDESCRIBED_LINGER_MS },
  };
}

/** Checks an agent a driver returned has every method of the contract. */
function checkAgent(agent: unknown, getter: string, methods: readonly string[], mod: DriverModule): void {
  const missing = missingMethods(agent, methods);
  if (missing.length > 0) {
    const what = typeof agent === "object" && agent !== null ? `an object without ${missing.join(", ")}` : String(agent);
    throw new DriverShapeError(`${mod.label}: ${getter}() of '${mod.resolved.specifier}' returned ${what}`);
  }
}
