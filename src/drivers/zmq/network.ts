import type { DriverContext, DriverDescription, PubSubApi, PubSubConfig } from "../../contract.js";
import { exposureWarning, readCurveKeys, requireKeys } from "./curve.js";
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
 * With `zmq.curve.enabled`, connections are CurveZMQ: the key files are read here, so a
 * missing or malformed one fails when the driver loads. Beyond the contract, the
 * description carries `warnings` (one: a publisher bound beyond loopback without curve)
 * and `reload()`, which `pubsub-run service` calls on SIGHUP.
 *
 * @example
 * ```yaml
 * pub_sub_driver: zmq_pubsub_driver
 * publisher_transport: tcp
 * publisher_port: 8866
 * zmq:
 *   send_high_water_mark: 1000000
 *   curve: { enabled: true, publisher_secret_key_file: /etc/pubsub/publisher.key_secret, allowed_subscribers: /etc/pubsub/subscribers }
 * ```
 */
export default function createZmqNetworkDriver(config: PubSubConfig, context?: Partial<DriverContext>): PubSubApi {
  const endpoints = networkEndpoints(config);
  const endpoint = endpoints.bind;
  const options = zmqOptions(config);
  const path = ipcPath(endpoint);
  const option = path === undefined ? "publisher_port" : "publisher_bind_address";
  const agentOptions = context?.logger === undefined ? {} : { logger: context.logger };
  const curveOptions = options.curve;
  const curve = readCurveKeys(curveOptions);
  const publishers = new Set<ZmqXPubPublisher>();
  const warning = exposureWarning(config, curveOptions);
  const description: DriverDescription = {
    topology: "bind",
    address: endpoint,
    listenAddresses: [endpoints.connect],
    linger: { option: "zmq.linger_ms", ms: options.linger_ms },
    warnings: warning === undefined ? [] : [warning],
    reload: () =>
      [...publishers].flatMap((publisher) => {
        const entries = publisher.reloadAllowList();
        return entries === undefined ? [] : [{ option: "zmq.curve.allowed_subscribers", entries }];
      }),
  };
  return {
    getPublisher: () => {
      const publisher = new ZmqXPubPublisher(
        {
          bind: endpoint,
          option,
          addressOption: "publisher_bind_address",
          ...(path === undefined ? {} : { prepare: () => prepareSocketPath(path, option), release: () => removeSocketFile(path) }),
          curve: requireKeys(curve, curveOptions, "publisher"),
        },
        options,
        context?.logger,
      );
      if (curve?.publisher?.allowList !== undefined) publishers.add(publisher);
      return publisher;
    },
    getSubscriber: () => new ZmqSubSubscriber(options, agentOptions, requireKeys(curve, curveOptions, "subscriber")),
    description,
  };
}
