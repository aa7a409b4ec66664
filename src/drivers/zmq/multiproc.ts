import type { DriverContext, PubSubApi, PubSubConfig } from "../../contract.js";
import { TransportError } from "../../errors.js";
import { supportedTransports } from "./endpoint.js";
import { zmqOptions } from "./options.js";
import { ZmqPullSubscriber } from "./pull-subscriber.js";
import { ZmqPushPublisher } from "./push-publisher.js";

/**
 * The ZeroMQ multiproc driver, alias `zmq_pubsub_multiproc_driver`: worker processes
 * publish with a PUSH socket connected to `ipc://<publisher_multiproc_socket>` (lazily,
 * on the first send, so workers may start before the publisher service); the service
 * receives with a PULL socket bound to that path (its address, in its description).
 *
 * @example
 * ```yaml
 * pub_sub_multiproc_driver: zmq_pubsub_multiproc_driver
 * publisher_multiproc_socket: /run/pubsub/publisher.sock
 * ```
 */
export default function createZmqMultiprocDriver(config: PubSubConfig, context?: Partial<DriverContext>): PubSubApi {
  if (!supportedTransports().includes("ipc")) {
    throw new TransportError("publisher_multiproc_socket: this libzmq has no ipc transport; set pub_sub_use_multiproc: false", {
      option: "publisher_multiproc_socket",
    });
  }
  const socketPath = config.publisher_multiproc_socket;
  const options = zmqOptions(config);
  const agentOptions = context?.logger === undefined ? {} : { logger: context.logger };
  return {
    getPublisher: () => new ZmqPushPublisher({ connect: `ipc://${socketPath}`, option: "publisher_multiproc_socket" }, options),
    getSubscriber: () => new ZmqPullSubscriber(socketPath, options, agentOptions),
    description: {
      topology: "bind",
      address: `ipc://${socketPath}`,
      listenAddresses: [`ipc://${socketPath}`],
      linger: { option: "zmq.linger_ms", ms: options.linger_ms },
    },
  };
}
