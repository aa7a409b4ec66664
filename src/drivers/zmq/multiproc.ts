import type { DriverContext, PubSubApi, PubSubConfig } from "../../contract.js";
import { TransportError } from "../../errors.js";
import { supportedTransports } from "./endpoint.js";
import { checkSocketFolder, checkSocketPathLength, type SocketAccess } from "./ipc-path.js";
import { zmqOptions } from "./options.js";
import { ZmqPullSubscriber } from "./pull-subscriber.js";
import { ZmqPushPublisher } from "./push-publisher.js";

/**
 * The ZeroMQ multiproc driver, alias `zmq_pubsub_multiproc_driver`: worker processes
 * publish with a PUSH socket connected to `ipc://<publisher_multiproc_socket>` (lazily,
 * on the first send, so workers may start before the publisher service); the service
 * receives with a PULL socket bound to that path (its address, in its description).
 * The socket is the service's user's alone (mode 0600, in a folder no one else may
 * write) unless `publisher_multiproc_socket_mode` and `publisher_multiproc_socket_group`
 * let a group publish; a worker refuses a socket in a folder another user could write.
 *
 * @example
 * ```yaml
 * pub_sub_multiproc_driver: zmq_pubsub_multiproc_driver
 * publisher_multiproc_socket: /run/pubsub/publisher.sock
 * ```
 */
const SOCKET_OPTION = "publisher_multiproc_socket";

export default function createZmqMultiprocDriver(config: PubSubConfig, context?: Partial<DriverContext>): PubSubApi {
  if (!supportedTransports().includes("ipc")) {
    throw new TransportError(`${SOCKET_OPTION}: this libzmq has no ipc transport; set pub_sub_use_multiproc: false`, {
      option: SOCKET_OPTION,
    });
  }
  const socketPath = config.publisher_multiproc_socket;
  checkSocketPathLength(socketPath, SOCKET_OPTION);
  checkSocketPathLength(`${socketPath}.ack`, SOCKET_OPTION); // the acknowledgements' socket, beside it
  const access: SocketAccess = {
    mode: parseInt(config.publisher_multiproc_socket_mode, 8),
    group: config.publisher_multiproc_socket_group,
  };
  const options = zmqOptions(config);
  const agentOptions = context?.logger === undefined ? {} : { logger: context.logger };
  const endpoint = {
    connect: `ipc://${socketPath}`,
    option: SOCKET_OPTION,
    beforeConnect: () => checkSocketFolder(socketPath, SOCKET_OPTION, access),
    acknowledgements: `ipc://${socketPath}.ack`,
  };
  return {
    getPublisher: () => new ZmqPushPublisher(endpoint, options),
    getSubscriber: () => new ZmqPullSubscriber(socketPath, options, agentOptions, access),
    description: {
      topology: "bind",
      address: `ipc://${socketPath}`,
      listenAddresses: [`ipc://${socketPath}`],
      linger: { option: "zmq.linger_ms", ms: options.linger_ms },
    },
  };
}
