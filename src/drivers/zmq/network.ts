import type { DriverContext, PubSubApi, PubSubConfig } from "../../contract.js";
import { networkEndpoints } from "./endpoint.js";
import { ipcPath, prepareSocketPath, removeSocketFile } from "./ipc-path.js";
import { zmqOptions } from "./options.js";
import { ZmqSubSubscriber } from "./sub-subscriber.js";
import { ZmqXPubPublisher } from "./xpub-publisher.js";

/**
 * The ZeroMQ network driver, alias `zmq_pubsub_driver`: publishers bind an XPUB socket
 * (PUB that greets each new subscriber connection, see `hello.ts`) on
 * `publisher_transport://publisher_bind_address:publisher_port`; subscribers connect one
 * SUB socket to each registered publisher address. The transport is checked here, so
 * an unsupported one fails when the driver loads, not at the first send. It describes
 * itself as binding: one network publisher per host, workers go through the publisher
 * service; subscribers on this host listen at the bind address (127.0.0.1 for `*`).
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
  const endpoints = networkEndpoints(config);
  const endpoint = endpoints.bind;
  const options = zmqOptions(config);
  const path = ipcPath(endpoint);
  const option = path === undefined ? "publisher_port" : "publisher_bind_address";
  const agentOptions = context?.logger === undefined ? {} : { logger: context.logger };
  return {
    getPublisher: () =>
      new ZmqXPubPublisher(
        {
          bind: endpoint,
          option,
          addressOption: "publisher_bind_address",
          ...(path === undefined ? {} : { prepare: () => prepareSocketPath(path, option), release: () => removeSocketFile(path) }),
        },
        options,
        context?.logger,
      ),
    getSubscriber: () => new ZmqSubSubscriber(options, agentOptions),
    description: {
      topology: "bind",
      address: endpoint,
      listenAddresses: [endpoints.connect],
      linger: { option: "zmq.linger_ms", ms: options.linger_ms },
    },
  };
}
