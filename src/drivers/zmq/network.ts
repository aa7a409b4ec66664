import type { DriverContext, PubSubApi } from "../../agents/api.js";
import type { PubSubConfig } from "../../loader/config.js";
import { networkBindEndpoint } from "./endpoint.js";
import { ipcPath, prepareSocketPath, removeSocketFile } from "./ipc-path.js";
import { zmqOptions } from "./options.js";
import { ZmqPublisher } from "./publisher.js";
import { ZmqSubSubscriber } from "./sub-subscriber.js";

/**
 * The ZeroMQ network driver, alias `zmq_pubsub_driver`: publishers bind an XPUB socket
 * (PUB that greets each new subscriber connection, see `hello.ts`) on
 * `publisher_transport://publisher_bind_address:publisher_port`; subscribers connect one
 * SUB socket to each registered publisher address. The transport is checked here, so
 * an unsupported one fails when the driver loads, not at the first send.
 *
 * @example
 * ```yaml
 * pub_sub_driver: zmq_pubsub_driver
 * publisher_transport: tcp
 * publisher_port: 8866
 * zmq: { send_high_water_mark: 1000000 }
 * ```
 */
export default function createZmqNetworkDriver(config: PubSubConfig, context?: Partial<DriverContext>): PubSubApi {
  const endpoint = networkBindEndpoint(config);
  const options = zmqOptions(config);
  const path = ipcPath(endpoint);
  const option = path === undefined ? "publisher_port" : "publisher_bind_address";
  const agentOptions = context?.logger === undefined ? {} : { logger: context.logger };
  return {
    getPublisher: () =>
      new ZmqPublisher(
        {
          socket: "pub",
          bind: endpoint,
          option,
          addressOption: "publisher_bind_address",
          ...(path === undefined
            ? {}
            : { prepare: () => prepareSocketPath(path, option), release: () => removeSocketFile(path) }),
        },
        options,
        context?.logger,
      ),
    getSubscriber: () => new ZmqSubSubscriber(options, agentOptions),
  };
}
