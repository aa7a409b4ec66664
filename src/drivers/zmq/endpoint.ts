import * as zmq from "zeromq";
import type { PubSubConfig } from "../../contract.js";
import { TransportError } from "../../errors.js";

/** The network transports this build of libzmq supports, in the order error messages list them. */
export function supportedTransports(): string[] {
  const transports = ["tcp"];
  if (zmq.capability.ipc === true) transports.push("ipc");
  if (zmq.capability.pgm === true) transports.push("pgm", "epgm");
  return transports;
}

/** Bind addresses that mean "every address of this host". */
const ALL_ADDRESSES = new Set(["*", "0.0.0.0", "::", "[::]"]);

/** Where the network publisher binds, and where a subscriber on this host connects to it. */
export interface NetworkEndpoints {
  /** What the publisher binds. */
  readonly bind: string;
  /** What a local subscriber connects to: the bind address, or 127.0.0.1 for "every address". */
  readonly connect: string;
}

/**
 * The endpoints of the network publisher, from `publisher_transport`,
 * `publisher_bind_address` and `publisher_port`: the one place this rule is written.
 * - `tcp`: `tcp://<address>:<port>` (`*` = every address; subscribers on this host
 *   connect to 127.0.0.1 then);
 * - `ipc`: `ipc://<publisher_bind_address>`, which must then be a socket path;
 * - `pgm`/`epgm`: `<transport>://<interface>;<multicast group>:<port>`.
 *
 * @throws {@link TransportError} for a transport libzmq does not support here, or an
 * address that does not fit the transport.
 */
export function networkEndpoints(config: PubSubConfig): NetworkEndpoints {
  const transport = config.publisher_transport;
  const address = config.publisher_bind_address;
  const supported = supportedTransports();
  if (!supported.includes(transport)) {
    const hint = transport === "pgm" || transport === "epgm" ? " (this libzmq was built without OpenPGM)" : "";
    throw new TransportError(
      `publisher_transport: unsupported transport '${transport}' for the ZeroMQ driver${hint}; supported here: ${supported.join(", ")}`,
      { option: "publisher_transport" },
    );
  }
  if (transport === "ipc") {
    if (!address.startsWith("/")) {
      throw new TransportError(
        `publisher_bind_address: the ipc transport needs an absolute socket path (got "${address}"); e.g. --set publisher_bind_address=/run/pubsub/network.sock`,
        { option: "publisher_bind_address" },
      );
    }
    return { bind: `ipc://${address}`, connect: `ipc://${address}` };
  }
  if ((transport === "pgm" || transport === "epgm") && !address.includes(";")) {
    throw new TransportError(
      `publisher_bind_address: ${transport} needs "<interface>;<multicast group>" (got "${address}"); e.g. --set publisher_bind_address="eth0;239.192.1.1"`,
      { option: "publisher_bind_address" },
    );
  }
  const host = ALL_ADDRESSES.has(address) ? "127.0.0.1" : address;
  return { bind: `${transport}://${address}:${config.publisher_port}`, connect: `${transport}://${host}:${config.publisher_port}` };
}
