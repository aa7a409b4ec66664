import type { DriverContext, PubSubApi, PubSubConfig } from "../../contract.js";
import { createStderrLogger } from "../../logger.js";
import { withoutCredentials } from "../../secrets.js";
import { natsOptions } from "./options.js";
import { NatsPublisher } from "./publisher.js";
import { NatsSubscriber } from "./subscriber.js";

/**
 * The NATS driver, alias `nats_pubsub_driver`, built on nats.js (an optional peer
 * dependency: `npm install nats`). The subject of an event is its topic, which must be
 * a valid NATS subject without wildcards (else `PUBSUB_ERR_INVALID_TOPIC`); the body
 * is the shared MessagePack event. Publishers connect to `nats.servers`; subscribers to
 * each listen address (by default `nats.servers`, as one cluster). It binds nothing, so
 * every process may publish: run it with `pub_sub_use_multiproc: false` (it describes
 * itself as a broker driver). Core NATS
 * keeps no event: a subscriber that is not connected misses what is published
 * meanwhile, and gets `"sync"` when it is back.
 *
 * @example
 * ```yaml
 * pub_sub_driver: nats_pubsub_driver
 * pub_sub_use_multiproc: false
 * nats:
 *   servers: [nats://10.0.0.8:4222, nats://10.0.0.9:4222]
 * ```
 */
export default function createNatsDriver(config: PubSubConfig, context?: Partial<DriverContext>): PubSubApi {
  const options = natsOptions(config);
  const logger = context?.logger ?? createStderrLogger();
  const cluster = options.section.servers.join(",");
  return {
    getPublisher: () => new NatsPublisher(options, logger),
    getSubscriber: () => new NatsSubscriber(options, { logger }),
    description: {
      topology: "broker",
      address: withoutCredentials(cluster),
      listenAddresses: [cluster],
      linger: { option: "nats.linger_ms", ms: options.section.linger_ms },
      redact: withoutCredentials,
      secretOptions: ["nats.password", "nats.token"],
    },
  };
}
