import { brokerDriverOf } from "../loader/brokers.js";
import type { PubSubConfig } from "../loader/config.js";

/**
 * Where the network publisher binds (`pub_sub_driver`), as logs and messages show it:
 * `publisher_transport://publisher_bind_address:publisher_port`, or the socket path for
 * ipc; for a broker driver, which binds nothing, the broker it sends to (credentials left out).
 */
export function networkAddress(config: PubSubConfig): string {
  const broker = brokerDriverOf(config);
  if (broker !== undefined) return broker.address(config).replace(/\/\/[^/@]*@/, "//");
  return config.publisher_transport === "ipc"
    ? `ipc://${config.publisher_bind_address}`
    : `${config.publisher_transport}://${config.publisher_bind_address}:${config.publisher_port}`;
}

/** Where the publisher service takes the workers' events: `ipc://publisher_multiproc_socket`. */
export function inboxAddress(config: PubSubConfig): string {
  return `ipc://${config.publisher_multiproc_socket}`;
}
