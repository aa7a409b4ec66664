import * as zmq from "zeromq";
import { TransportError } from "../../errors.js";
import type { PubSubConfig } from "../../loader/config.js";

/** The network transports this build of libzmq supports, in the order error messages list them. */
export function supportedTransports(): string[] {
  const transports = ["tcp"];
  if (zmq.capability.ipc === true) transports.push("ipc");
  if (zmq.capability.pgm === true) transports.push("pgm", "epgm");
  return transports;
}

/**
 * The endpoint the network publisher binds, from `publisher_transport`,
 * `publisher_bind_address` and `publisher_port`:
 * - `tcp`: `tcp://<address>:<port>` (`*` = every address);
 * - `ipc`: `ipc://<publisher_bind_address>`, which must then be a socket path;
 * - `pgm`/`epgm`: `<transport>://<interface>;<multicast group>:<port>`.
 *
 * @throws {@link TransportError} for a transport libzmq does not support here, or an
 * address that does not fit the transport.
 */
export function networkBindEndpoint(config: PubSubConfig): string {
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
    return `ipc://${address}`;
  }
  if ((transport === "pgm" || transport === "epgm") && !address.includes(";")) {
    throw new TransportError(
      `publisher_bind_address: ${transport} needs "<interface>;<multicast group>" (got "${address}"); e.g. --set publisher_bind_address="eth0;239.192.1.1"`,
      { option: "publisher_bind_address" },
    );
  }
  return `${transport}://${address}:${config.publisher_port}`;
}

